import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { headsFileSchema } from '../../src/inference/heads/format.js';
import { readPack } from '../../src/inference/pack/load.js';
import { TINY_IMAGE_HATEFUL_LABELS, writeTinyPack } from '../../src/synth/pack.js';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'mg-pack-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));
const exists = (f: string) => stat(f).then(() => true, () => false);

describe('writeTinyPack', () => {
  it('default: encoder text + encoder image + heads of matching widths, valid pack.json', async () => {
    const dir = await writeTinyPack(path.join(tmp, 'default'));
    const { json } = await readPack(dir);
    expect(json.text).toMatchObject({ kind: 'encoder', pooling: 'cls', path: 'text', maxLength: 128 });
    expect(json.image).toMatchObject({ kind: 'encoder', path: 'image' });
    expect(json.heads).toBe('heads.json');
    for (const f of ['text/config.json', 'text/tokenizer.json', 'text/onnx/model.onnx', 'image/preprocessor_config.json', 'image/onnx/model.onnx']) {
      expect(await exists(path.join(dir, f))).toBe(true);
    }
    const heads = headsFileSchema.parse(JSON.parse(await readFile(path.join(dir, 'heads.json'), 'utf8')));
    expect(heads.text!.dim).toBe(32);
    expect(heads.image!.dim).toBe(32);
    expect(heads.fusions.map((f) => f.name)).toEqual(['stacking']);
  });

  it('classifier kinds name existing labels; null leaves a modality out; heads:false writes none', async () => {
    const dir = await writeTinyPack(path.join(tmp, 'cls'), { text: 'classifier', image: 'classifier', heads: false });
    const { json } = await readPack(dir);
    expect(json.text).toMatchObject({ kind: 'classifier', problemType: 'multi_label' });
    expect(json.image).toMatchObject({ kind: 'classifier', problemType: 'single_label', combine: 'sum' });
    expect(json.heads).toBeUndefined();
    const labels = Object.values(JSON.parse(await readFile(path.join(dir, 'image/config.json'), 'utf8')).id2label);
    for (const l of TINY_IMAGE_HATEFUL_LABELS) expect(labels).toContain(l);
    const textOnly = await writeTinyPack(path.join(tmp, 'textonly'), { image: null, text: 'fill-mask', pooling: 'mean' });
    const t = await readPack(textOnly);
    expect(t.json.image).toBeUndefined();
    expect(t.json.text).toMatchObject({ kind: 'encoder', pooling: 'mean' });
    expect(await exists(path.join(textOnly, 'image'))).toBe(false);
  });

  it('is deterministic in the seed', async () => {
    const a = await writeTinyPack(path.join(tmp, 'a'), { seed: 9 });
    const b = await writeTinyPack(path.join(tmp, 'b'), { seed: 9 });
    const c = await writeTinyPack(path.join(tmp, 'c'), { seed: 10 });
    const bytes = (d: string) => readFile(path.join(d, 'text/onnx/model.onnx'));
    expect(Buffer.compare(await bytes(a), await bytes(b))).toBe(0);
    expect(Buffer.compare(await bytes(a), await bytes(c))).not.toBe(0);
  });
});
