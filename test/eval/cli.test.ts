import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticHatefulMemes } from '../../src/synth/dataset.js';
import { writeTinyPack } from '../../src/synth/pack.js';

const BIN = path.resolve('bin/memeguard.js');

function memeguard(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, MEMEGUARD_LOG: 'warn', ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mg-cli-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('memeguard train / evaluate: usage', () => {
  it('asks for --data and refuses bad numbers with one line and exit code 1', async () => {
    const a = await memeguard(['evaluate']);
    expect(a.code).toBe(1);
    expect(a.stderr.trim()).toMatch(/^memeguard: --data DIR is required/);
    const b = await memeguard(['train', '--data', root, '--limit', 'abc']);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('--limit must be a positive integer, got "abc"');
    const c = await memeguard(['evaluate', '--data', root, '--bogus']);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/Unknown option '--bogus'/);
    const h = await memeguard(['evaluate', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--predictions FILE');
  });
});

describe('memeguard train then evaluate on a generated data set with a tiny pack', () => {
  let pack: string;
  let data: string;
  let cache: string;
  beforeAll(async () => {
    pack = await writeTinyPack(path.join(root, 'pack'), { heads: false, pooling: 'mean' });
    data = path.join(root, 'data');
    cache = path.join(root, 'cache');
    await writeSyntheticHatefulMemes(data, { n: 0, splits: { train: 80, dev_seen: 40, test_unseen: 8 }, unlabeled: ['test_unseen'], seed: 2, size: 64 });
  });

  it('trains heads into the pack, then reports every row as a table, JSON, predictions and a ROC plot', async () => {
    const t = await memeguard(['train', '--data', data, '--models', pack, '--seed', '1', '--cache', cache, '--epochs', '30']);
    expect(t.stderr).not.toMatch(/memeguard: /);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain(`wrote ${path.join(pack, 'heads.json')}`);
    expect(t.stderr).toMatch(/features \[#+\] 80\/80 100%/);
    const packJson = JSON.parse(await readFile(path.join(pack, 'pack.json'), 'utf8'));
    expect(packJson.heads).toBe('heads.json');
    const heads = JSON.parse(await readFile(path.join(pack, 'heads.json'), 'utf8'));
    expect(heads.training).toMatchObject({ split: 'train', sizes: { items: 80 } });
    expect(heads.fusions.map((f: { name: string }) => f.name)).toEqual(['stacking', 'concat-mlp']);

    const table = await memeguard(['evaluate', '--data', data, '--models', pack, '--cache', cache]);
    expect(table.code).toBe(0);
    for (const m of ['text', 'image', 'seed-sum', 'stacking', 'concat-mlp']) expect(table.stdout).toMatch(new RegExp(`^${m}\\s+\\d\\.\\d{3}`, 'm'));

    const preds = path.join(root, 'preds.jsonl');
    const plot = path.join(root, 'roc.png');
    const e = await memeguard(['evaluate', '--data', data, '--models', pack, '--cache', cache, '--json', '--predictions', preds, '--plot', plot]);
    expect(e.code).toBe(0);
    const report = JSON.parse(e.stdout);
    expect(report.split).toBe('dev_seen');
    expect(report.n).toBe(40);
    expect(report.rows.map((r: { model: string }) => r.model)).toEqual(['text', 'image', 'seed-sum', 'stacking', 'concat-mlp']);
    for (const r of report.rows) {
      expect(r.auroc).toBeGreaterThanOrEqual(0);
      expect(r.auroc).toBeLessThanOrEqual(1);
      expect(r.confusion.tp + r.confusion.fp + r.confusion.tn + r.confusion.fn).toBe(40);
      expect(r.threshold).toBe(0.5);
    }
    const lines = (await readFile(preds, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(40);
    const dev = (await readFile(path.join(data, 'dev_seen.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.label])).toEqual(dev.map((d) => [d.id, d.label]));
    expect(Object.keys(lines[0].scores)).toEqual(report.rows.map((r: { model: string }) => r.model));
    expect((await sharp(plot).metadata()).format).toBe('png');

    const unlabeled = await memeguard(['evaluate', '--data', data, '--models', pack, '--cache', cache, '--split', 'test_unseen']);
    expect(unlabeled.code).toBe(1);
    expect(unlabeled.stderr).toMatch(/memeguard: test_unseen\.jsonl:1: item \d+ has no label/);
    // With --predictions an unlabelled split is scored (no metrics), ids as in the file, label null.
    const testPreds = path.join(root, 'test-preds.jsonl');
    const scored = await memeguard(['evaluate', '--data', data, '--models', pack, '--cache', cache, '--split', 'test_unseen', '--predictions', testPreds, '--json']);
    expect(scored.code).toBe(0);
    expect(JSON.parse(scored.stdout)).toMatchObject({ split: 'test_unseen', n: 8, rows: [] });
    const scoredLines = (await readFile(testPreds, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const testIds = (await readFile(path.join(data, 'test_unseen.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l).id);
    expect(scoredLines.map((l) => l.id)).toEqual(testIds);
    expect(scoredLines.every((l) => l.label === null && typeof l.scores['concat-mlp'] === 'number')).toBe(true);
    const unknown = await memeguard(['evaluate', '--data', data, '--models', pack, '--split', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown split "nope".*available splits: dev_seen, test_unseen, train/);
    expect(existsSync(path.join(pack, 'heads.json'))).toBe(true);
    // --plot that is not a .png is refused before any work, in one line
    const badPlot = await memeguard(['evaluate', '--data', data, '--models', pack, '--plot', path.join(root, 'roc.txt')]);
    expect(badPlot.code).toBe(1);
    expect(badPlot.stderr.trim().split('\n')).toHaveLength(1);
    expect(badPlot.stderr).toMatch(/--plot writes a PNG image/);
    expect(existsSync(path.join(root, 'roc.txt'))).toBe(false);
  });
});
