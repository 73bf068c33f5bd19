import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { MemeguardError } from '../errors.js';
import { fusionSchema } from '../inference/pack/schema.js';
import { formatZodIssues } from '../validation.js';
import { VARIANTS } from './recipe.js';

/**
 * pack.lock.json — what `models pull` fetched into a pack: per file its source (endpoint, repo, revision, path in the
 * repo, the commit the hub resolved it to), size and sha256. `models verify` re-hashes against it; a later pull
 * keeps files that still match it.
 */

export const LOCK_FILE = 'pack.lock.json';

export const lockEntrySchema = z
  .object({
    /** Path inside the pack, forward slashes. */
    path: z.string().min(1),
    repo: z.string().min(1),
    revision: z.string().min(1),
    /** Path inside the repo. */
    file: z.string().min(1),
    /** The commit the revision pointed at (X-Repo-Commit), when the hub said. */
    commit: z.string().optional(),
    size: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** True when the hub gave the sha256 (LFS) and the download matched it. */
    verifiedByHub: z.boolean(),
  })
  .strict();

export const lockSchema = z
  .object({
    format: z.literal('memeguard-pack-lock'),
    version: z.literal(1),
    recipe: z.string().min(1),
    variant: z.enum(VARIANTS),
    endpoint: z.string().min(1),
    /** Finished: every file of the recipe is on disk (pack.json is written right after). */
    complete: z.boolean(),
    updatedAt: z.string(),
    files: z.array(lockEntrySchema),
    /**
     * Settings of the pack.json a pull replaces (heads written by `train`, fusion), kept here while pack.json is
     * away so that an interrupted pull does not lose them.
     */
    carry: z.object({ heads: z.string().min(1).optional(), fusion: fusionSchema.optional() }).strict().optional(),
  })
  .strict();

export type LockEntry = z.infer<typeof lockEntrySchema>;
export type PackLock = z.infer<typeof lockSchema>;

/** The lock file of a pack, or undefined when there is none. A broken one is PACK_INVALID. */
export async function readLock(packDir: string): Promise<PackLock | undefined> {
  const file = path.join(packDir, LOCK_FILE);
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MemeguardError('PACK_INVALID', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    throw new MemeguardError('PACK_INVALID', `${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const parsed = lockSchema.safeParse(data);
  if (!parsed.success) throw new MemeguardError('PACK_INVALID', `${file}: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}

/** Write atomically (temp file + rename) so a crash never leaves half a lock. */
export async function writeJsonAtomic(file: string, data: unknown): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(data, null, 2) + '\n');
  await rename(tmp, file);
}

export async function writeLock(packDir: string, lock: PackLock): Promise<void> {
  await writeJsonAtomic(path.join(packDir, LOCK_FILE), lockSchema.parse(lock));
}
