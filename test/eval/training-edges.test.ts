import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemeguardError } from '../../src/errors.js';
import { runEvaluation } from '../../src/eval/evaluate.js';
import { runTraining } from '../../src/eval/training.js';
import { syntheticPicture, writeSyntheticHatefulMemes } from '../../src/synth/dataset.js';
import { PixelEngine, writePixelPack } from './helpers.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mg-train-edges-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function folderDataset(dir: string, perClass: number): Promise<void> {
  for (const [cls, kind] of [
    ['hateful', 'warm'],
    ['not_hateful', 'cool'],
  ] as const) {
    await mkdir(path.join(dir, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) await writeFile(path.join(dir, cls, `${i}.png`), await syntheticPicture(kind, 32, i + (kind === 'warm' ? 0 : 1000)));
  }
}

describe('training edge cases', () => {
  it('refuses a split with one class only, naming it', async () => {
    const dir = path.join(root, 'one-class');
    await mkdir(path.join(dir, 'img'), { recursive: true });
    const lines: string[] = [];
    for (let i = 0; i < 12; i++) {
      await writeFile(path.join(dir, 'img', `${i}.png`), await syntheticPicture('warm', 32, i));
      lines.push(JSON.stringify({ id: i, img: `img/${i}.png`, label: 1, text: 'the dog' }));
    }
    await writeFile(path.join(dir, 'train.jsonl'), lines.join('\n'));
    const engine = new PixelEngine(await writePixelPack(path.join(root, 'pack-one')));
    const err = await runTraining({ engine, dataDir: dir, cacheDir: null }).catch((e: unknown) => e);
    expect((err as MemeguardError).code).toBe('DATASET_INVALID');
    expect((err as MemeguardError).message).toMatch(/only hateful items: training needs both/);
  });

  it('trains on a folder-per-class data set (captions by the engine), keeps pack.json fields, and reports weighted-mean when configured', async () => {
    const data = path.join(root, 'folders');
    await folderDataset(data, 20);
    const pack = await writePixelPack(path.join(root, 'pack-folders'));
    const packFile = path.join(pack, 'pack.json');
    const original = JSON.parse(await readFile(packFile, 'utf8'));
    original.description = 'kept as written';
    original.fusion = { rule: 'seed-sum', threshold: 0.4, weights: { text: 1, image: 3 } };
    await writeFile(packFile, JSON.stringify(original));
    const engine = new PixelEngine(pack);
    const out = await runTraining({ engine, dataDir: data, cacheDir: null, seed: 4, settings: { mlp: { maxEpochs: 10 } } });
    expect(out.record).toMatchObject({ layout: 'folders', split: 'all', sizes: { items: 40 } });
    const after = JSON.parse(await readFile(packFile, 'utf8'));
    expect(after).toEqual({ ...original, heads: 'heads.json' });

    // No captions in this layout and the pixel engine reads none: no text head can be trained, only the image one.
    expect(JSON.parse(await readFile(out.headsPath, 'utf8')).text).toBeUndefined();
    const report = await runEvaluation({ engine, dataDir: data, cacheDir: null });
    expect(report.rows.map((r) => r.model)).toEqual(['image']);
    expect(report.threshold).toBe(0.4);
    // Colour alone decides this data set: the image row ranks it perfectly.
    expect(report.rows[0].auroc).toBe(1);
    expect(report.predictions.map((q) => q.id)).toContain('hateful/0.png');

    // With captions (Hateful Memes layout), every row is there, weighted-mean = (p_t + 3 p_i) / 4.
    const hm = path.join(root, 'hm');
    await writeSyntheticHatefulMemes(hm, { n: 0, splits: { train: 40, dev_seen: 20 }, size: 32, captionOnImage: false });
    await runTraining({ engine, dataDir: hm, cacheDir: null, settings: { mlp: { maxEpochs: 5 } } });
    const full = await runEvaluation({ engine, dataDir: hm, cacheDir: null });
    expect(full.rows.map((r) => r.model)).toEqual(['text', 'image', 'seed-sum', 'weighted-mean', 'stacking', 'concat-mlp']);
    const p = full.predictions[0].scores;
    expect(p['weighted-mean']).toBeCloseTo((p.text! + 3 * p.image!) / 4, 12);
    expect(p['seed-sum']).toBeCloseTo((p.text! + p.image!) / 2, 12);
  });

  it('writes the heads to the file pack.json names', async () => {
    const pack = await writePixelPack(path.join(root, 'pack-named'));
    const packFile = path.join(pack, 'pack.json');
    const json = JSON.parse(await readFile(packFile, 'utf8'));
    await writeFile(packFile, JSON.stringify({ ...json, heads: 'trained/heads-v2.json' }));
    await mkdir(path.join(pack, 'trained'));
    const data = path.join(root, 'folders');
    const out = await runTraining({ engine: new PixelEngine(pack), dataDir: data, cacheDir: null, settings: { mlp: { maxEpochs: 5 } } });
    expect(out.headsPath).toBe(path.join(pack, 'trained', 'heads-v2.json'));
    const h = JSON.parse(await readFile(out.headsPath, 'utf8'));
    expect(h.format).toBe('memeguard-heads');
    expect(h.training.layout).toBe('folders');
  });
});
