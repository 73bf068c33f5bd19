import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MemeguardError } from '../../errors.js';
import { formatZodIssues } from '../../validation.js';
import { packSchema, type PackJson } from './schema.js';

export const DEFAULT_PACK_DIR = 'models/default';

/** The pack folder: explicit argument, else MEMEGUARD_MODELS, else models/default. */
export function resolvePackDir(dir?: string): string {
  return path.resolve(dir ?? process.env.MEMEGUARD_MODELS ?? DEFAULT_PACK_DIR);
}

export interface PackLocation {
  dir: string;
  json: PackJson;
}

/** Read and validate `<dir>/pack.json`. Every failure is a PACK_* error naming the file or field. */
export async function readPack(dir: string): Promise<PackLocation> {
  const abs = path.resolve(dir);
  const file = path.join(abs, 'pack.json');
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (e) {
    const exists = await stat(abs).then(
      () => true,
      () => false,
    );
    throw new MemeguardError(
      'PACK_MISSING',
      exists ? `model pack ${abs} has no pack.json` : `no model pack at ${abs}`,
      { hint: 'run `memeguard models pull` to fetch one, or pass --models DIR', cause: e },
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    throw new MemeguardError('PACK_INVALID', `${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const parsed = packSchema.safeParse(data);
  if (!parsed.success) {
    throw new MemeguardError('PACK_INVALID', `${file}: ${formatZodIssues(parsed.error)}`);
  }
  return { dir: abs, json: parsed.data };
}
