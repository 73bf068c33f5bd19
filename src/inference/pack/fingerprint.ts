import { createHash, type Hash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PackLocation } from './load.js';

const EDGE = 1 << 20; // bytes hashed at each end of a large file

/** Hash a file's size and content (whole when small; the first and last MiB when large — weights are big). */
async function hashFile(h: Hash, file: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    h.update(`${path.basename(file)}:absent\n`);
    return;
  }
  h.update(`${path.basename(file)}:${size}\n`);
  if (size <= 4 * EDGE) {
    h.update(await readFile(file));
    return;
  }
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(EDGE);
    await fh.read(buf, 0, EDGE, 0);
    h.update(buf);
    await fh.read(buf, 0, EDGE, size - EDGE);
    h.update(buf);
  } finally {
    await fh.close();
  }
}

/**
 * A 32-hex-digit fingerprint of an optional header string followed by the given files, in order (each file by
 * name, size and content; an absent file counts as "absent", so creating it changes the fingerprint).
 */
export async function fingerprintFiles(files: readonly string[], header?: string): Promise<string> {
  const h = createHash('sha256');
  if (header !== undefined) h.update(header);
  for (const f of files) await hashFile(h, f);
  return h.digest('hex').slice(0, 32);
}

/**
 * The files of the pack's models that decide their outputs, text model first: each model's ONNX file and
 * config.json, then tokenizer.json + tokenizer_config.json (text) or preprocessor_config.json (image).
 */
export function modelFiles(pack: PackLocation): string[] {
  const files: string[] = [];
  for (const [kind, m] of [['text', pack.json.text], ['image', pack.json.image]] as const) {
    if (!m) continue;
    const dir = path.resolve(pack.dir, m.path);
    files.push(path.join(dir, m.onnx), path.join(dir, 'config.json'));
    if (kind === 'text') files.push(path.join(dir, 'tokenizer.json'), path.join(dir, 'tokenizer_config.json'));
    else files.push(path.join(dir, 'preprocessor_config.json'));
  }
  return files;
}

/**
 * A stable fingerprint of what decides a pack's outputs: pack.json, the heads file, each model's ONNX file and
 * its tokenizer / preprocessor / config files. Caches of features key on it.
 */
export async function packFingerprint(pack: PackLocation): Promise<string> {
  const files = [path.join(pack.dir, 'pack.json')];
  if (pack.json.heads) files.push(path.resolve(pack.dir, pack.json.heads));
  return fingerprintFiles([...files, ...modelFiles(pack)]);
}
