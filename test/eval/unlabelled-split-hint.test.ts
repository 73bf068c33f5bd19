import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemeguardError } from '../../src/errors.js';
import { readDataset } from '../../src/eval/dataset.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('an unlabelled split used for metrics', () => {
  it('is refused with a hint that names evaluate --predictions (the way to score it)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mg-unlabelled-'));
    dirs.push(dir);
    await mkdir(path.join(dir, 'img'));
    await writeFile(path.join(dir, 'img', '1.png'), 'not read here');
    await writeFile(path.join(dir, 'test_unseen.jsonl'), JSON.stringify({ id: 1, img: 'img/1.png', text: 'a caption' }) + '\n');
    const err = await readDataset(dir, { split: 'test_unseen' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MemeguardError);
    const e = err as MemeguardError;
    expect(e.code).toBe('DATASET_INVALID');
    expect(e.toLine()).toContain('has no label');
    expect(e.toLine()).toContain('--predictions FILE');
    // with labels not required (evaluate --predictions) the same split reads fine
    const ds = await readDataset(dir, { split: 'test_unseen', requireLabels: false });
    expect(ds.items.map((it) => it.label)).toEqual([undefined]);
  });
});
