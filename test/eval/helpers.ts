import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Engine, EngineInfo, Features } from '../../src/inference/types.js';

/**
 * A small feature extractor with the Engine interface, for the eval tests that must not depend on ONNX models:
 * the text embedding is the sum of per-word random vectors (32 dims, seeded by the word's hash), the image embedding
 * the mean colour of a 2×2 grid
 * (12 dims), both computed for real from the caption and the decoded pixels. It counts calls.
 */
export class PixelEngine implements Engine {
  calls = 0;
  readonly info: EngineInfo;
  constructor(packDir: string) {
    this.info = {
      packDir,
      packName: 'pixel',
      device: 'cpu',
      text: { kind: 'encoder', hiddenSize: 32 },
      image: { kind: 'encoder', hiddenSize: 12 },
      fusions: ['seed-sum'],
      fingerprint: 'pixel-engine',
      warnings: [],
    };
  }
  async features(input: { image: Uint8Array; caption?: string }): Promise<Features> {
    this.calls++;
    const caption = input.caption ?? '';
    const text = new Float32Array(32);
    for (const w of caption.toLowerCase().split(/\s+/).filter(Boolean)) {
      const h = createHash('sha256').update(w).digest();
      // 32 bytes of the hash -> 32 roughly uniform values in [-1, 1].
      for (let j = 0; j < 32; j++) text[j] += h[j] / 127.5 - 1;
    }
    const { data, info } = await sharp(input.image).resize(2, 2, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const image = new Float32Array(12);
    for (let i = 0; i < info.width * info.height * 3; i++) image[i] = data[i] / 255;
    return {
      caption: { text: caption, source: input.caption === undefined ? 'ocr' : 'given' },
      text: caption ? { embedding: text, score: null } : { score: null },
      image: { embedding: image, score: null },
    };
  }
  analyze(): never {
    throw new Error('not used by eval');
  }
  embed(): never {
    throw new Error('not used by eval');
  }
  ocr(): never {
    throw new Error('not used by eval');
  }
  async close(): Promise<void> {}
}

/** A pack.json for the PixelEngine (encoders, no model files, no heads). */
export async function writePixelPack(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'pack.json'),
    JSON.stringify({ name: 'pixel', text: { path: 'text', kind: 'encoder' }, image: { path: 'image', kind: 'encoder' } }, null, 2),
  );
  return dir;
}
