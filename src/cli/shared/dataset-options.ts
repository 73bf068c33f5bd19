import { nonNegativeInt, positiveInt } from './args.js';
import { MemeguardError } from '../../errors.js';
import { defaultCacheDir } from '../../eval/cache.js';

/** Shared option handling of `memeguard train` and `memeguard evaluate` (general parsing: src/cli/shared/args.ts). */

export function requireData(raw: string | undefined, usage: string): string {
  if (!raw) throw new MemeguardError('USAGE', '--data DIR is required', { hint: usage.split('\n')[0] });
  return raw;
}

/** --cache DIR, --no-cache, else $MEMEGUARD_CACHE_DIR or ~/.cache/memeguard/features. */
export function cacheDirOption(values: { cache?: string; 'no-cache'?: boolean }): string | null {
  if (values['no-cache']) return null;
  return values.cache ?? defaultCacheDir();
}

export interface DatasetOptions {
  dataDir: string;
  split: string | undefined;
  limit: number | undefined;
  sample: number | undefined;
  seed: number;
  cacheDir: string | null;
}

/** The data set options both commands take from COMMON_OPTIONS (--data, --split, --limit, --sample, --seed, cache). */
export function datasetOptions(
  values: { data?: string; split?: string; limit?: string; sample?: string; seed?: string; cache?: string; 'no-cache'?: boolean },
  usage: string,
): DatasetOptions {
  return {
    dataDir: requireData(values.data, usage),
    split: values.split,
    limit: positiveInt('limit', values.limit),
    sample: positiveInt('sample', values.sample),
    seed: nonNegativeInt('seed', values.seed) ?? 0,
    cacheDir: cacheDirOption(values),
  };
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
