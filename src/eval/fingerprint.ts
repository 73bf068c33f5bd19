import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PackLocation } from '../inference/pack/load.js';

const EDGE = 1 << 20;

async function hashFile(h: ReturnType<typeof createHash>, file: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    h.update(`${path.basename(file)}:absent\n`);
    return;
  }
  h.update(`${path.basename(file)}:${size}\n`);
  const fh = await open(file, 'r');
  try {
    if (size <= 4 * EDGE) {
      const buf = Buffer.alloc(size);
      await fh.read(buf, 0, size, 0);
      h.update(buf);
    } else {
      const buf = Buffer.alloc(EDGE);
      await fh.read(buf, 0, EDGE, 0);
      h.update(buf);
      await fh.read(buf, 0, EDGE, size - EDGE);
      h.update(buf);
    }
  } finally {
    await fh.close();
  }
}

/**
 * The fingerprint of what decides a pack's *features* (embeddings, and classifier scores): the text and image
 * model settings in pack.json and their model folders' ONNX, config, tokenizer and preprocessor files — but not
 * the heads file nor the fusion settings. The feature cache keys on it, so that retraining the heads (which
 * changes engine.info.fingerprint) does not send the whole data set through the models again; scores of
 * encoder packs are recomputed from the current heads at evaluation time.
 */
export async function featureFingerprint(pack: PackLocation): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: 1, text: pack.json.text ?? null, image: pack.json.image ?? null }));
  for (const m of [pack.json.text, pack.json.image]) {
    if (!m) continue;
    const dir = path.resolve(pack.dir, m.path);
    const files = [m.onnx, 'config.json'];
    if (m === pack.json.text) files.push('tokenizer.json', 'tokenizer_config.json');
    else files.push('preprocessor_config.json');
    for (const f of files) await hashFile(h, path.join(dir, f));
  }
  return h.digest('hex').slice(0, 32);
}
