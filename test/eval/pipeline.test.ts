import { readFile, mkdtemp, rm, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemeguardError } from '../../src/errors.js';
import { readCacheLines } from '../../src/eval/cache.js';
import { readDataset } from '../../src/eval/dataset.js';
import { formatReportTable, predictionsJsonl, reportJson, runEvaluation } from '../../src/eval/evaluate.js';
import { computeFeatures } from '../../src/eval/features.js';
import { auroc, metricsAt } from '../../src/eval/metrics.js';
import { renderRocPng } from '../../src/eval/plot.js';
import { runTraining } from '../../src/eval/training.js';
import { headsFileSchema } from '../../src/inference/heads/format.js';
import { writeSyntheticHatefulMemes, type SyntheticItem } from '../../src/synth/dataset.js';
import { PixelEngine, writePixelPack } from './helpers.js';

let root: string;
let data: string;
let truth: Record<string, SyntheticItem[]>;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mg-pipeline-'));
  data = path.join(root, 'data');
  truth = await writeSyntheticHatefulMemes(data, {
    n: 0,
    splits: { train: 200, dev_seen: 80, test_unseen: 8 },
    unlabeled: ['test_unseen'],
    seed: 5,
    size: 48,
    captionOnImage: false,
  });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('synthetic Hateful Memes data set', () => {
  it('has balanced XOR labels with every caption and picture in a flipped-label pair', async () => {
    const train = truth.train;
    expect(train).toHaveLength(200);
    expect(train.filter((i) => i.label === 1)).toHaveLength(100);
    for (const group of ['animal', 'object']) expect(train.filter((i) => i.captionGroup === group && i.label === 1)).toHaveLength(50);
    for (const kind of ['warm', 'cool']) expect(train.filter((i) => i.pictureKind === kind && i.label === 1)).toHaveLength(50);
    // The same caption appears with the other kind of picture and the opposite label.
    const byCaption = new Map<string, SyntheticItem[]>();
    for (const it of train) byCaption.set(it.text, [...(byCaption.get(it.text) ?? []), it]);
    for (const items of byCaption.values()) expect(new Set(items.map((i) => i.label)).size).toBe(2);
    const ds = await readDataset(data, { split: 'dev_seen' });
    expect(ds.items.map((i) => i.id)).toEqual(truth.dev_seen.map((i) => i.id));
  });
});

describe('features and cache', () => {
  it('sends each item through the engine once: a second run makes zero model calls', async () => {
    const engine = new PixelEngine(await writePixelPack(path.join(root, 'pack-cache')));
    const cacheDir = path.join(root, 'cache-a');
    const ds = await readDataset(data, { split: 'dev_seen' });
    const progress: number[] = [];
    const first = await computeFeatures({ engine, items: ds.items, cacheDir, onProgress: (p) => progress.push(p.done) });
    expect(engine.calls).toBe(80);
    expect(first.stats).toEqual({ cached: 0, computed: 80 });
    expect(progress.at(-1)).toBe(80);
    const second = await computeFeatures({ engine, items: ds.items, cacheDir });
    expect(engine.calls).toBe(80);
    expect(second.stats).toEqual({ cached: 80, computed: 0 });
    expect(second.rows.map((r) => Array.from(r.features.image!.embedding!))).toEqual(first.rows.map((r) => Array.from(r.features.image!.embedding!)));
    expect(second.rows[3].features.caption).toEqual(first.rows[3].features.caption);
    // Another fingerprint is another cache.
    const other = await computeFeatures({ engine, items: ds.items.slice(0, 5), cacheDir, fingerprint: 'other-pack' });
    expect(other.stats.computed).toBe(5);
  });

  it('recovers from an interrupted write and resumes a cancelled run', async () => {
    const engine = new PixelEngine(await writePixelPack(path.join(root, 'pack-resume')));
    const cacheDir = path.join(root, 'cache-b');
    const ds = await readDataset(data, { split: 'dev_seen' });
    const ac = new AbortController();
    const err = await computeFeatures({
      engine,
      items: ds.items,
      cacheDir,
      concurrency: 2,
      signal: ac.signal,
      onProgress: (p) => p.done >= 30 && ac.abort(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MemeguardError);
    expect((err as MemeguardError).code).toBe('CANCELLED');
    const file = path.join(cacheDir, 'pixel-engine.jsonl');
    const kept = readCacheLines(file).length;
    expect(kept).toBeGreaterThanOrEqual(30);
    expect(kept).toBeLessThan(80);
    // Simulate a crash in the middle of a write: half a record at the end of the file.
    const raw = await readFile(file, 'utf8');
    const lastLine = raw.trimEnd().split('\n').at(-1)!;
    await writeFile(file, raw + lastLine.slice(0, lastLine.length / 2));
    const before = engine.calls;
    const resumed = await computeFeatures({ engine, items: ds.items, cacheDir });
    expect(resumed.stats).toEqual({ cached: kept, computed: 80 - kept });
    expect(engine.calls - before).toBe(80 - kept);
    const lines = readCacheLines(file);
    expect(lines).toHaveLength(80);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  });
});

describe('training and evaluation', () => {
  let packDir: string;
  beforeAll(async () => {
    packDir = await writePixelPack(path.join(root, 'pack-train'));
  });

  it('refuses to evaluate a pack without heads', async () => {
    const engine = new PixelEngine(packDir);
    const err = await runEvaluation({ engine, dataDir: data, cacheDir: null }).catch((e: unknown) => e);
    expect((err as MemeguardError).code).toBe('NO_HEADS');
  });

  it('trains deterministically for a seed and writes heads with a training record into the pack', async () => {
    const cacheDir = path.join(root, 'cache-train');
    const run = async (dir: string, seed: number) => {
      await cp(packDir, dir, { recursive: true });
      const out = await runTraining({ engine: new PixelEngine(dir), dataDir: data, cacheDir, seed, settings: { mlp: { maxEpochs: 40 } } });
      const heads = headsFileSchema.parse(JSON.parse(await readFile(out.headsPath, 'utf8')));
      const { training, ...rest } = heads;
      return { rest, training: training as Record<string, unknown>, out };
    };
    const a = await run(path.join(root, 'det-a'), 1);
    const b = await run(path.join(root, 'det-b'), 1);
    const c = await run(path.join(root, 'det-c'), 2);
    expect(a.rest).toEqual(b.rest);
    expect(JSON.stringify(a.rest.fusions)).not.toEqual(JSON.stringify(c.rest.fusions));
    expect(a.rest.fusions.map((f) => f.name)).toEqual(['stacking', 'concat-mlp']);
    expect(JSON.parse(await readFile(path.join(root, 'det-a', 'pack.json'), 'utf8')).heads).toBe('heads.json');
    expect(a.training).toMatchObject({
      split: 'train',
      sizes: { items: 200, fit: 160, heldOut: 40 },
      classBalance: { hateful: 100, notHateful: 100, hatefulFraction: 0.5 },
      packFingerprint: 'pixel-engine',
    });
    expect(a.training.settings).toMatchObject({ seed: 1, heldOutFraction: 0.2 });
    expect(Object.keys(a.training.heldOut as object).sort()).toEqual(['concat-mlp', 'image', 'seed-sum', 'stacking', 'text']);
    expect(typeof a.training.startedAt).toBe('string');
  });

  it('learns the caption×picture interaction: unimodal heads near chance, concat-mlp far above them', async () => {
    const engine = new PixelEngine(packDir);
    const cacheDir = path.join(root, 'cache-train');
    await runTraining({ engine, dataDir: data, cacheDir, seed: 3 });
    const progress: number[] = [];
    const report = await runEvaluation({ engine, dataDir: data, split: 'dev_seen', cacheDir, onProgress: (p) => progress.push(p.done) });
    expect(progress.at(-1)).toBe(80);
    const row = (m: string) => report.rows.find((r) => r.model === m)!;
    expect(report.rows.map((r) => r.model)).toEqual(['text', 'image', 'seed-sum', 'stacking', 'concat-mlp']);
    for (const m of ['text', 'image', 'seed-sum', 'stacking']) {
      expect(row(m).auroc!).toBeLessThan(0.7);
      expect(row(m).auroc!).toBeGreaterThan(0.3);
    }
    expect(row('concat-mlp').auroc!).toBeGreaterThan(0.85);
    expect(row('concat-mlp').accuracy).toBeGreaterThan(0.8);
    expect(row('concat-mlp').auroc! - Math.max(row('text').auroc!, row('image').auroc!)).toBeGreaterThan(0.25);

    // The report's numbers are the metrics of its own predictions, matched to the data set by id.
    const byId = new Map(truth.dev_seen.map((t) => [t.id, t.label]));
    expect(report.predictions.map((p) => p.label)).toEqual(report.predictions.map((p) => byId.get(p.id as number)));
    const labels = report.predictions.map((p) => p.label!);
    const mlp = report.predictions.map((p) => p.scores['concat-mlp']!);
    expect(row('concat-mlp').auroc).toBeCloseTo(auroc(mlp, labels)!, 12);
    expect(row('concat-mlp').confusion).toEqual(metricsAt(mlp, labels, 0.5).confusion);
    const c = row('text').confusion;
    expect(c.tp + c.fp + c.tn + c.fn).toBe(80);

    const json = reportJson(report) as { split: string; n: number; rows: Record<string, unknown>[] };
    expect(json).toMatchObject({ split: 'dev_seen', n: 80 });
    for (const r of json.rows) {
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining(['model', 'accuracy', 'auroc', 'precision', 'recall', 'f1', 'threshold', 'confusion', 'best_threshold', 'best_accuracy']),
      );
    }
    const lines = predictionsJsonl(report).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(80);
    expect(Object.keys(lines[0].scores)).toEqual(report.rows.map((r) => r.model));

    const table = formatReportTable(report);
    expect(table).toMatch(/concat-mlp/);
    expect(table.split('\n').filter((l) => /^(text|image|seed-sum|stacking|concat-mlp)\s/.test(l))).toHaveLength(5);

    const png = await renderRocPng(report);
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(720);
    const stats = await sharp(png).stats();
    expect(stats.isOpaque).toBe(true);
    expect(stats.channels[0].min).toBeLessThan(100); // lines and text were drawn on the white page
  });

  it('refuses an unlabelled split for metrics and cancels when asked', async () => {
    const engine = new PixelEngine(packDir);
    const err = await runEvaluation({ engine, dataDir: data, split: 'test_unseen', cacheDir: null }).catch((e: unknown) => e);
    expect((err as MemeguardError).code).toBe('DATASET_INVALID');
    expect((err as MemeguardError).message).toMatch(/test_unseen\.jsonl:1: .* has no label/);
    const ac = new AbortController();
    ac.abort();
    const cancelled = await runEvaluation({ engine, dataDir: data, cacheDir: null, signal: ac.signal }).catch((e: unknown) => e);
    expect((cancelled as MemeguardError).code).toBe('CANCELLED');
  });
});
