/**
 * Command-line argument helpers shared by the `memeguard` commands: strict parsing whose errors are one-line
 * USAGE errors, and checked numbers. (Folder src/cli/shared holds helpers, not commands.)
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MemeguardError } from '../../errors.js';

/** The first line of a command's usage text: the hint of its USAGE errors. */
export function usageLine(usage: string): string {
  return usage.split('\n')[0];
}

/** node:util parseArgs in strict mode whose errors become USAGE errors (one line, exit 1). */
export function parseCommandLine<T extends ParseArgsConfig>(config: T, usage: string) {
  try {
    return parseArgs({ ...config, strict: true });
  } catch (e) {
    throw new MemeguardError('USAGE', (e as Error).message.split('\n')[0], { hint: usageLine(usage) });
  }
}

/** `--name N`, a whole number ≥ 1; undefined when absent. */
export function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const x = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(x) || x < 1) {
    throw new MemeguardError('USAGE', `--${name} must be a positive integer, got "${raw}"`);
  }
  return x;
}

/** `--name N`, a whole number ≥ 0; undefined when absent. */
export function nonNegativeInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const x = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(x)) {
    throw new MemeguardError('USAGE', `--${name} must be a non-negative integer, got "${raw}"`);
  }
  return x;
}

/** `--threshold X`: a number from 0 to 1 (both included); undefined when absent. */
export function probability(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const x = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(x) || x < 0 || x > 1) {
    throw new MemeguardError('USAGE', `--${name} must be a number from 0 to 1, got "${raw}"`);
  }
  return x;
}

/** `--held-out F`: a fraction strictly between 0 and 1; undefined when absent. */
export function openFraction(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const x = Number(raw);
  if (!(x > 0 && x < 1)) {
    throw new MemeguardError('USAGE', `--${name} must be a fraction between 0 and 1, got "${raw}"`);
  }
  return x;
}

/** The one image argument (a file or -) of `check` and `embed`. */
export function oneImageArg(command: string, positionals: readonly string[], usage: string): string {
  if (positionals.length !== 1) {
    const why = positionals.length === 0 ? `${command} needs an image (a file or -)` : `${command} takes one image`;
    throw new MemeguardError('USAGE', why, { hint: usageLine(usage) });
  }
  return positionals[0];
}

/** The options of the commands that take one meme (`check`, `embed`): its caption, the pack, JSON output, help. */
export const MEME_OPTIONS = {
  caption: { type: 'string' },
  models: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
