import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureFingerprint } from '../../../src/eval/fingerprint.js';
import { fingerprintFiles, modelFiles, packFingerprint } from '../../../src/inference/pack/fingerprint.js';
import { readPack } from '../../../src/inference/pack/load.js';

let root: string;
let n = 0;

/** A pack folder of small stand-in files (fingerprints read bytes, never parse models). */
async function makePack(): Promise<string> {
  const dir = path.join(root, `pack${n++}`);
  await mkdir(path.join(dir, 'text', 'onnx'), { recursive: true });
  await mkdir(path.join(dir, 'image', 'onnx'), { recursive: true });
  const pack = {
    name: 'fp',
    text: { path: 'text', kind: 'encoder', onnx: 'onnx/model.onnx' },
    image: { path: 'image', kind: 'encoder', onnx: 'onnx/model.onnx' },
    heads: 'heads.json',
  };
  await writeFile(path.join(dir, 'pack.json'), JSON.stringify(pack));
  await writeFile(path.join(dir, 'heads.json'), '{"v":1}');
  for (const f of ['onnx/model.onnx', 'config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    await writeFile(path.join(dir, 'text', f), `text ${f}`);
  }
  for (const f of ['onnx/model.onnx', 'config.json', 'preprocessor_config.json']) {
    await writeFile(path.join(dir, 'image', f), `image ${f}`);
  }
  return dir;
}

async function both(dir: string): Promise<[string, string]> {
  const p = await readPack(dir);
  return [await packFingerprint(p), await featureFingerprint(p)];
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'memeguard-fp-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('pack and feature fingerprints', () => {
  it('are 32 hex digits, equal for equal packs in different folders', async () => {
    const [a, b] = [await both(await makePack()), await both(await makePack())];
    expect(a[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(a[1]).toMatch(/^[0-9a-f]{32}$/);
    expect(a[0]).not.toBe(a[1]);
    expect(b).toEqual(a);
  });

  it('retrained heads change the pack fingerprint but not the feature fingerprint', async () => {
    const dir = await makePack();
    const before = await both(dir);
    await writeFile(path.join(dir, 'heads.json'), '{"v":2}');
    const after = await both(dir);
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).toBe(before[1]);
  });

  it('a changed model file, tokenizer or preprocessor changes both', async () => {
    for (const f of ['text/onnx/model.onnx', 'text/tokenizer.json', 'image/preprocessor_config.json', 'image/config.json']) {
      const dir = await makePack();
      const before = await both(dir);
      await appendFile(path.join(dir, f), '!');
      const after = await both(dir);
      expect(after[0], f).not.toBe(before[0]);
      expect(after[1], f).not.toBe(before[1]);
    }
  });

  it('model settings in pack.json change the feature fingerprint; the fusion settings only the pack one', async () => {
    const dir = await makePack();
    const before = await both(dir);
    const p = await readPack(dir);
    await writeFile(path.join(dir, 'pack.json'), JSON.stringify({ ...p.json, fusion: { rule: 'seed-sum', threshold: 0.7 } }));
    const fused = await both(dir);
    expect(fused[0]).not.toBe(before[0]);
    expect(fused[1]).toBe(before[1]);
    await writeFile(path.join(dir, 'pack.json'), JSON.stringify({ ...p.json, text: { ...p.json.text, maxLength: 64 } }));
    const settings = await both(dir);
    expect(settings[1]).not.toBe(before[1]);
  });

  it('lists each model’s files text first, and counts an absent file', async () => {
    const dir = await makePack();
    const files = modelFiles(await readPack(dir)).map((f) => path.relative(dir, f));
    expect(files).toEqual([
      path.join('text', 'onnx', 'model.onnx'),
      path.join('text', 'config.json'),
      path.join('text', 'tokenizer.json'),
      path.join('text', 'tokenizer_config.json'),
      path.join('image', 'onnx', 'model.onnx'),
      path.join('image', 'config.json'),
      path.join('image', 'preprocessor_config.json'),
    ]);
    const absent = await fingerprintFiles([path.join(dir, 'nothing.bin')]);
    await writeFile(path.join(dir, 'nothing.bin'), '');
    expect(await fingerprintFiles([path.join(dir, 'nothing.bin')])).not.toBe(absent);
    expect(await fingerprintFiles([], 'a')).not.toBe(await fingerprintFiles([], 'b'));
  });

  it('a large file is hashed by its ends and size: a change at either end or in the size is seen', async () => {
    const file = path.join(root, 'big.bin');
    const big = Buffer.alloc(5 << 20, 7);
    await writeFile(file, big);
    const base = await fingerprintFiles([file]);
    big[0] = 8;
    await writeFile(file, big);
    const head = await fingerprintFiles([file]);
    big[0] = 7;
    big[big.length - 1] = 8;
    await writeFile(file, big);
    const tail = await fingerprintFiles([file]);
    await appendFile(file, Buffer.from([7]));
    const longer = await fingerprintFiles([file]);
    expect(new Set([base, head, tail, longer]).size).toBe(4);
  });
});
