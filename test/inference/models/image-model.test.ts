import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemeguardError } from '../../../src/errors.js';
import { loadImage } from '../../../src/inference/image/load.js';
import { loadImageModel } from '../../../src/inference/models/image-model.js';
import { softmax } from '../../../src/inference/models/scoring.js';
import { releaseSharedSessions } from '../../../src/inference/onnx/session.js';
import { readPack } from '../../../src/inference/pack/load.js';
import type { ImageModelConfig } from '../../../src/inference/pack/schema.js';
import { decodeModel, tensorValues } from '../../../src/synth/onnx/builder.js';
import { writeTinyPack } from '../../../src/synth/pack.js';

process.env.MEMEGUARD_LOG = 'silent';
let tmp: string;
let encPack: string;
let clsPack: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mg-image-'));
  [encPack, clsPack] = await Promise.all([
    writeTinyPack(path.join(tmp, 'enc'), { text: null, image: 'encoder', seed: 2 }),
    writeTinyPack(path.join(tmp, 'cls'), { text: null, image: 'classifier', seed: 2 }),
  ]);
});
afterAll(async () => {
  await releaseSharedSessions();
  await rm(tmp, { recursive: true, force: true });
});

const imageCfg = async (pack: string, patch: Record<string, unknown> = {}) =>
  ({ ...(await readPack(pack)).json.image!, ...patch }) as ImageModelConfig;
const PER = 3 * 224 * 224;
const pattern = (k: number) => Float32Array.from({ length: PER }, (_, i) => Math.sin(i / (50 + k)) * 2);

describe('image model', () => {
  it('encoder: features of width F = the classifier’s input; logits = features · Wᵀ + b', async () => {
    const m = await loadImageModel(encPack, await imageCfg(encPack));
    expect(m.kind).toBe('encoder');
    expect(m.hiddenSize).toBe(32);
    expect(m.preprocessor.size).toEqual({ height: 224, width: 224 });
    const { embeddings } = await m.run([pattern(1)]);
    expect(embeddings![0]).toHaveLength(32);
    // The plain export's logits, recomputed from the exposed features and the classifier weights.
    const s = await ort.InferenceSession.create(path.join(encPack, 'image/onnx/model.onnx'));
    const logits = (await s.run({ pixel_values: new ort.Tensor('float32', pattern(1), [1, 3, 224, 224]) })).logits.data as Float32Array;
    const graph = decodeModel(await readFile(path.join(encPack, 'image/onnx/model.onnx'))).graph!;
    const init = (name: string) => tensorValues(graph.initializer!.find((t) => t.name === name)!) as Float32Array;
    const W = init('classifier.1.weight'); // [1000, 32] (Gemm transB=1)
    const b = init('classifier.1.bias');
    for (let j = 0; j < 1000; j++) {
      let z = b[j];
      for (let f = 0; f < 32; f++) z += W[j * 32 + f] * embeddings![0][f];
      expect(Math.abs(z - logits[j])).toBeLessThan(1e-4);
    }
    // ReLU features are non-negative and not all zero.
    expect(embeddings![0].every((v) => v >= 0)).toBe(true);
    expect(embeddings![0].some((v) => v > 0)).toBe(true);
    expect(logits).toHaveLength(1000);
  });

  it('batched results equal one-at-a-time results', async () => {
    const m = await loadImageModel(encPack, await imageCfg(encPack));
    const inputs = [pattern(1), pattern(2), pattern(3)];
    const batched = await m.run(inputs);
    for (let i = 0; i < inputs.length; i++) {
      const single = await m.run([inputs[i]]);
      for (let j = 0; j < 32; j++) expect(batched.embeddings![i][j]).toBeCloseTo(single.embeddings![0][j], 4);
    }
    expect(batched.embeddings![0][0]).not.toBe(batched.embeddings![1][0]);
  });

  it('classifier: softmax over the 1000 labels, hateful labels summed', async () => {
    const cfg = await imageCfg(clsPack);
    const m = await loadImageModel(clsPack, cfg);
    const { scores, logits } = await m.run([pattern(4), pattern(5)]);
    if (cfg.kind !== 'classifier') throw new Error('expected a classifier');
    const idx = cfg.hatefulLabels.map((l) => m.labels!.indexOf(l));
    expect(idx.every((i) => i >= 0)).toBe(true);
    for (let b = 0; b < 2; b++) {
      const p = softmax(logits![b]);
      expect(scores![b]).toBeCloseTo(idx.reduce((s, i) => s + p[i], 0), 6);
    }
  });

  it('runs on the preprocessor output of a real decoded image', async () => {
    const m = await loadImageModel(encPack, await imageCfg(encPack));
    const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 200, g: 30, b: 90 } } }).png().toBuffer();
    const pixels = await m.preprocessor.run(await loadImage(png));
    const { embeddings } = await m.run([pixels]);
    expect(embeddings![0]).toHaveLength(32);
  });

  it('refuses a tensor of the wrong size with BAD_INPUT, and missing files with PACK_MISSING naming them', async () => {
    const m = await loadImageModel(encPack, await imageCfg(encPack));
    await expect(m.run([new Float32Array(10)])).rejects.toMatchObject({ code: 'BAD_INPUT' });
    for (const rel of ['image/onnx/model.onnx', 'image/config.json', 'image/preprocessor_config.json']) {
      const pack = await writeTinyPack(path.join(tmp, `miss-${path.basename(rel)}`), { text: null });
      await rm(path.join(pack, rel));
      const err = await loadImageModel(pack, await imageCfg(pack)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MemeguardError);
      expect(['PACK_MISSING', 'MODEL_INVALID']).toContain((err as MemeguardError).code);
      expect((err as MemeguardError).message).toContain(path.basename(rel));
    }
  });
});
