import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PackLocation } from './load.js';

const EDGE = 1 << 20; // bytes hashed at each end of a large file

/** Hash a file's size and content (whole when small; the first and last MiB when large — weights are big). */
async function hashFile(h: ReturnType<typeof createHash>, file: string): Promise<void> {
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
 * A stable fingerprint of what decides a pack's outputs: pack.json, the heads file, each model's ONNX file and
 * its tokenizer / preprocessor / config files. Caches of features key on it.
 */
export async function packFingerprint(pack: PackLocation): Promise<string> {
  const h = createHash('sha256');
  const files = [path.join(pack.dir, 'pack.json')];
  if (pack.json.heads) files.push(path.resolve(pack.dir, pack.json.heads));
  for (const m of [pack.json.text, pack.json.image]) {
    if (!m) continue;
    const dir = path.resolve(pack.dir, m.path);
    files.push(path.join(dir, m.onnx), path.join(dir, 'config.json'));
    if (m === pack.json.text) files.push(path.join(dir, 'tokenizer.json'), path.join(dir, 'tokenizer_config.json'));
    else files.push(path.join(dir, 'preprocessor_config.json'));
  }
  for (const f of files) await hashFile(h, f);
  return h.digest('hex').slice(0, 32);
}
