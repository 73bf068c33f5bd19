import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemeguardError } from '../../src/errors.js';
import { listSplits, readDataset } from '../../src/eval/dataset.js';

let root: string;
let png: Buffer;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mg-dataset-'));
  png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).png().toBuffer();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
async function hmDataset(files: Record<string, unknown[] | string>, images: string[] = []): Promise<string> {
  const dir = path.join(root, `hm${counter++}`);
  await mkdir(path.join(dir, 'img'), { recursive: true });
  for (const img of images) await writeFile(path.join(dir, 'img', img), png);
  for (const [name, lines] of Object.entries(files)) {
    const body = typeof lines === 'string' ? lines : lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    await writeFile(path.join(dir, name), body);
  }
  return dir;
}

async function expectInvalid(p: Promise<unknown>, pattern: RegExp): Promise<MemeguardError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MemeguardError);
  expect((err as MemeguardError).code).toBe('DATASET_INVALID');
  expect((err as MemeguardError).toLine()).toMatch(pattern);
  expect((err as MemeguardError).message).not.toContain('\n');
  return err as MemeguardError;
}

describe('Hateful Memes layout', () => {
  it('reads a split, keeping ids as written and matching zero-padded ids', async () => {
    const dir = await hmDataset(
      {
        'dev_seen.jsonl': [
          { id: 42953, img: 'img/42953.png', label: 0, text: 'its their character not their color' },
          { id: '01235', img: 'img/01235.png', label: 1, text: 'x' },
          { id: 7, label: 1 },
        ],
        'train.jsonl': [{ id: 1, img: 'img/42953.png', label: 1, text: 'a' }],
      },
      ['42953.png', '01235.png', '00007.png'],
    );
    expect(await listSplits(dir)).toEqual(['dev_seen', 'train']);
    const ds = await readDataset(dir);
    expect(ds.layout).toBe('hateful-memes');
    expect(ds.split).toBe('dev_seen');
    expect(ds.items.map((i) => [i.id, i.key, i.label, i.text])).toEqual([
      [42953, '42953', 0, 'its their character not their color'],
      ['01235', '1235', 1, 'x'],
      [7, '7', 1, undefined], // no text -> OCR; image found by id
    ]);
    expect(ds.items[2].imagePath).toBe(path.join(dir, 'img', '00007.png'));
    expect((await readDataset(dir, { purpose: 'train' })).split).toBe('train');
  });

  it('accepts dev.jsonl for dev_seen', async () => {
    const dir = await hmDataset({ 'dev.jsonl': [{ id: 1, img: 'img/a.png', label: 0 }] }, ['a.png']);
    expect((await readDataset(dir, { split: 'dev_seen' })).split).toBe('dev');
  });

  it('names file and line for a missing image, a bad label and a duplicate id', async () => {
    const missing = await hmDataset({ 'train.jsonl': [{ id: 1, img: 'img/a.png', label: 0 }, { id: 2, img: 'img/nope.png', label: 1 }] }, ['a.png']);
    await expectInvalid(readDataset(missing, { split: 'train' }), /train\.jsonl:2: image img\/nope\.png not found/);
    const badLabel = await hmDataset({ 'train.jsonl': [{ id: 1, img: 'img/a.png', label: 2 }] }, ['a.png']);
    await expectInvalid(readDataset(badLabel, { split: 'train' }), /train\.jsonl:1: label must be 0 or 1, got 2/);
    const strLabel = await hmDataset({ 'train.jsonl': [{ id: 1, img: 'img/a.png', label: '1' }] }, ['a.png']);
    await expectInvalid(readDataset(strLabel, { split: 'train' }), /label must be 0 or 1, got "1"/);
    const dup = await hmDataset(
      { 'train.jsonl': [{ id: 5, img: 'img/a.png', label: 0 }, { id: 6, img: 'img/a.png', label: 0 }, { id: '005', img: 'img/a.png', label: 1 }] },
      ['a.png'],
    );
    await expectInvalid(readDataset(dup, { split: 'train' }), /train\.jsonl:3: duplicate id "005" \(first at train\.jsonl:1\)/);
    const badJson = await hmDataset({ 'train.jsonl': '{"id": 1, "img": "img/a.png", "label": 0}\n{oops\n' }, ['a.png']);
    await expectInvalid(readDataset(badJson, { split: 'train' }), /train\.jsonl:2: not valid JSON/);
  });

  it('refuses an empty split and an unknown split name, listing the available ones', async () => {
    const dir = await hmDataset({ 'train.jsonl': '\n\n', 'dev_seen.jsonl': [{ id: 1, img: 'img/a.png', label: 0 }] }, ['a.png']);
    await expectInvalid(readDataset(dir, { split: 'train' }), /train\.jsonl: split "train" is empty/);
    await expectInvalid(readDataset(dir, { split: 'test_seen' }), /unknown split "test_seen".*available splits: dev_seen, train/);
  });

  it('refuses an unlabelled split for metrics but reads it when labels are not required', async () => {
    const dir = await hmDataset({ 'test_unseen.jsonl': [{ id: 1, img: 'img/a.png', text: 'hi' }] }, ['a.png']);
    await expectInvalid(readDataset(dir, { split: 'test_unseen' }), /test_unseen\.jsonl:1: item 1 has no label/);
    const ds = await readDataset(dir, { split: 'test_unseen', requireLabels: false });
    expect(ds.items[0].label).toBeUndefined();
  });

  it('applies a seeded --sample and --limit', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => ({ id: i, img: 'img/a.png', label: i % 2 }));
    const dir = await hmDataset({ 'train.jsonl': lines }, ['a.png']);
    const a = await readDataset(dir, { split: 'train', sample: 10, seed: 3 });
    const b = await readDataset(dir, { split: 'train', sample: 10, seed: 3 });
    const c = await readDataset(dir, { split: 'train', sample: 10, seed: 4 });
    expect(a.items.map((i) => i.id)).toEqual(b.items.map((i) => i.id));
    expect(a.items.map((i) => i.id)).not.toEqual(c.items.map((i) => i.id));
    expect(a.items).toHaveLength(10);
    expect(a.total).toBe(50);
    expect((await readDataset(dir, { split: 'train', limit: 3 })).items.map((i) => i.id)).toEqual([0, 1, 2]);
  });
});

describe('folder-per-class layout', () => {
  it('reads hateful/ and not_hateful/ as split "all" with labels from the folder', async () => {
    const dir = path.join(root, 'folders');
    await mkdir(path.join(dir, 'hateful'), { recursive: true });
    await mkdir(path.join(dir, 'not_hateful'), { recursive: true });
    await writeFile(path.join(dir, 'hateful', 'h1.png'), png);
    await writeFile(path.join(dir, 'not_hateful', 'n1.png'), png);
    await writeFile(path.join(dir, 'not_hateful', 'notes.txt'), 'ignored');
    const ds = await readDataset(dir);
    expect(ds.layout).toBe('folders');
    expect(ds.split).toBe('all');
    expect(ds.items.map((i) => [i.id, i.label, i.text])).toEqual([
      ['hateful/h1.png', 1, undefined],
      ['not_hateful/n1.png', 0, undefined],
    ]);
  });
  it('reads <split>/hateful folders and refuses an empty one', async () => {
    const dir = path.join(root, 'folders2');
    await mkdir(path.join(dir, 'val', 'hateful'), { recursive: true });
    await mkdir(path.join(dir, 'empty', 'not_hateful'), { recursive: true });
    await writeFile(path.join(dir, 'val', 'hateful', 'x.png'), png);
    expect(await listSplits(dir)).toEqual(['empty', 'val']);
    expect((await readDataset(dir, { split: 'val' })).items).toHaveLength(1);
    await expectInvalid(readDataset(dir, { split: 'empty' }), /split "empty" is empty/);
  });
  it('says what it expected of a folder that is not a data set', async () => {
    const dir = path.join(root, 'nothing');
    await mkdir(dir, { recursive: true });
    await expectInvalid(readDataset(dir), /is not a data set/);
    await expectInvalid(readDataset(path.join(root, 'absent')), /no data set folder/);
  });
});
