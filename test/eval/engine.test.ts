import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvaluation } from '../../src/eval/evaluate.js';
import { runTraining } from '../../src/eval/training.js';
import { createEngine } from '../../src/inference/engine.js';
import type { Engine } from '../../src/inference/types.js';
import { writeSyntheticHatefulMemes } from '../../src/synth/dataset.js';
import { writeTinyPack } from '../../src/synth/pack.js';

/** The real engine, with its features() calls counted. */
function counting(engine: Engine): Engine & { calls: number } {
  const wrapped = Object.create(engine) as Engine & { calls: number };
  wrapped.calls = 0;
  wrapped.features = (input) => {
    wrapped.calls++;
    return engine.features(input);
  };
  return wrapped;
}

let root: string;
let pack: string;
let data: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mg-eval-engine-'));
  // Mean pooling keeps the caption's words in the tiny random BERT's embedding; pictures differ in colour.
  pack = await writeTinyPack(path.join(root, 'pack'), { heads: false, pooling: 'mean', seed: 3 });
  data = path.join(root, 'data');
  await writeSyntheticHatefulMemes(data, { n: 0, splits: { train: 320, dev_seen: 120 }, seed: 11, size: 64 });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('training and evaluation through the real engine and a tiny pack', () => {
  it('caches features (second run: zero model calls) and learns the caption×picture interaction', async () => {
    const cacheDir = path.join(root, 'cache');
    const engine = counting(await createEngine({ packDir: pack }));
    try {
      const trained = await runTraining({ engine, dataDir: data, cacheDir, seed: 1, settings: { mlp: { learningRate: 3e-3 } } });
      expect(engine.calls).toBe(320);
      expect(trained.record.features).toEqual({ cached: 0, computed: 320 });
      const first = await runEvaluation({ engine, dataDir: data, cacheDir });
      expect(engine.calls).toBe(440);
      const second = await runEvaluation({ engine, dataDir: data, cacheDir });
      expect(engine.calls).toBe(440); // the models were not called again
      expect(second.features).toEqual({ cached: 120, computed: 0 });
      expect(second.rows).toEqual(first.rows);

      const row = (m: string) => first.rows.find((r) => r.model === m)!;
      expect(first.rows.map((r) => r.model)).toEqual(['text', 'image', 'seed-sum', 'stacking', 'concat-mlp']);
      for (const m of ['text', 'image', 'seed-sum', 'stacking']) {
        expect(row(m).auroc!).toBeGreaterThan(0.3);
        expect(row(m).auroc!).toBeLessThan(0.7);
      }
      expect(row('concat-mlp').auroc!).toBeGreaterThan(0.8);
      expect(row('concat-mlp').auroc! - Math.max(row('text').auroc!, row('image').auroc!, row('stacking').auroc!)).toBeGreaterThan(0.2);
    } finally {
      await engine.close();
    }
  });

  it('retraining keeps the feature cache: a new heads file does not send the data through the models again', async () => {
    const cacheDir = path.join(root, 'cache');
    const engine = counting(await createEngine({ packDir: pack }));
    try {
      await runTraining({ engine, dataDir: data, cacheDir, seed: 2 });
      await runEvaluation({ engine, dataDir: data, cacheDir });
      expect(engine.calls).toBe(0);
    } finally {
      await engine.close();
    }
  });
});
