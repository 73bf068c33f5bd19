import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MemeguardError } from '../errors.js';
import { defaultCacheDir } from './cache.js';

/** Shared option handling of `memeguard train` and `memeguard evaluate`. */

export function parseCommandLine<T extends ParseArgsConfig>(config: T, usage: string) {
  try {
    return parseArgs({ ...config, strict: true });
  } catch (e) {
    throw new MemeguardError('USAGE', (e as Error).message.split('\n')[0], { hint: usage.split('\n')[0] });
  }
}

export function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const x = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(x) || x < 1) {
    throw new MemeguardError('USAGE', `--${name} must be a positive integer, got "${raw}"`);
  }
  return x;
}

export function nonNegativeInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const x = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(x)) {
    throw new MemeguardError('USAGE', `--${name} must be a non-negative integer, got "${raw}"`);
  }
  return x;
}

export function requireData(raw: string | undefined, usage: string): string {
  if (!raw) throw new MemeguardError('USAGE', '--data DIR is required', { hint: usage.split('\n')[0] });
  return raw;
}

/** --cache DIR, --no-cache, else $MEMEGUARD_CACHE_DIR or ~/.cache/memeguard/features. */
export function cacheDirOption(values: { cache?: string; 'no-cache'?: boolean }): string | null {
  if (values['no-cache']) return null;
  return values.cache ?? defaultCacheDir();
}

/** An AbortSignal that fires on Ctrl-C, so that a long run stops cleanly (the cache keeps what was computed). */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  return { signal: ac.signal, dispose: () => process.off('SIGINT', onSigint) };
}

export const COMMON_OPTIONS = {
  data: { type: 'string' },
  split: { type: 'string' },
  models: { type: 'string' },
  limit: { type: 'string' },
  sample: { type: 'string' },
  seed: { type: 'string' },
  cache: { type: 'string' },
  'no-cache': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
