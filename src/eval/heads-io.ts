import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MemeguardError } from '../errors.js';
import { headsFileSchema, type HeadsFile } from '../inference/heads/format.js';
import { readPack } from '../inference/pack/load.js';
import { formatZodIssues } from '../validation.js';

export const DEFAULT_HEADS_FILE = 'heads.json';

/** Write a file by writing a temporary sibling and renaming it over the target (readers never see half a file). */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(tmp, content);
  await rename(tmp, file);
}

/**
 * Write trained heads into a pack: the file named by pack.json "heads" (default heads.json); when pack.json names
 * none, "heads": "heads.json" is added to it (every other field of pack.json is kept as written).
 * Returns the absolute path of the heads file.
 */
export async function writePackHeads(packDir: string, heads: HeadsFile): Promise<string> {
  const checked = headsFileSchema.safeParse(heads);
  if (!checked.success) throw new MemeguardError('INTERNAL', `trained heads do not match the heads format: ${formatZodIssues(checked.error)}`);
  const pack = await readPack(packDir);
  const rel = pack.json.heads ?? DEFAULT_HEADS_FILE;
  const file = path.resolve(pack.dir, rel);
  await writeFileAtomic(file, JSON.stringify(checked.data, null, 2) + '\n');
  if (!pack.json.heads) {
    const packFile = path.join(pack.dir, 'pack.json');
    const raw = JSON.parse(await readFile(packFile, 'utf8')) as Record<string, unknown>;
    raw.heads = rel;
    await writeFileAtomic(packFile, JSON.stringify(raw, null, 2) + '\n');
  }
  return file;
}
