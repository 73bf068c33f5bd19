import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCaption } from '../../src/bench/captions.js';
import { benchPackReady, ensureBenchPack, generateBenchPack } from '../../src/bench/pack.js';
import { BERT_BASE_VOCAB_SIZE, buildBertBaseVocab } from '../../src/bench/vocab.js';
import { headsFileSchema } from '../../src/inference/heads/format.js';
import { TextTokenizer } from '../../src/inference/models/tokenizer.js';
import { readPack } from '../../src/inference/pack/load.js';
import { rng } from '../../src/synth/backgrounds.js';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'mg-bench-pack-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('bert-base-shaped vocabulary', () => {
  it('has 30522 unique entries with bert-base-uncased special-token ids', () => {
    const v = buildBertBaseVocab();
    expect(v).toHaveLength(BERT_BASE_VOCAB_SIZE);
    expect(new Set(v).size).toBe(v.length);
    expect([v[0], v[100], v[101], v[102], v[103]]).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    expect(v[1]).toBe('[unused0]');
    for (const t of ['the', 'cat', 'monday', 'coffee', '##ing', '##ab', 'abc', '##abc']) expect(v).toContain(t);
  });
});

describe('bench pack (reduced scale: same layout, small models)', () => {
  const dir = path.join(tmp, 'reduced');
  const lines: string[] = [];

  it('writes a valid pack with hub-layout folders, heads of matching widths and a completion marker', async () => {
    await generateBenchPack(dir, { scale: 'reduced', onProgress: (l) => lines.push(l) });
    expect(lines.some((l) => l.includes('BERT'))).toBe(true);
    expect(lines.some((l) => l.includes('ResNet'))).toBe(true);
    const { json } = await readPack(dir);
    expect(json.text).toMatchObject({ kind: 'encoder', pooling: 'cls', path: 'text' });
    expect(json.image).toMatchObject({ kind: 'encoder', path: 'image' });
    const config = JSON.parse(await readFile(path.join(dir, 'text/config.json'), 'utf8'));
    expect(config).toMatchObject({ architectures: ['BertForMaskedLM'], vocab_size: 30522 });
    const vocabTxt = (await readFile(path.join(dir, 'text/vocab.txt'), 'utf8')).trimEnd().split('\n');
    expect(vocabTxt).toHaveLength(30522);
    for (const f of ['text/tokenizer.json', 'text/tokenizer_config.json', 'image/config.json', 'image/preprocessor_config.json']) {
      expect((await stat(path.join(dir, f))).isFile()).toBe(true);
    }
    const heads = headsFileSchema.parse(JSON.parse(await readFile(path.join(dir, 'heads.json'), 'utf8')));
    expect(heads.text!.dim).toBe(config.hidden_size);
    const imageConfig = JSON.parse(await readFile(path.join(dir, 'image/config.json'), 'utf8'));
    expect(heads.image!.dim).toBe(imageConfig.hidden_sizes.at(-1));
    expect(await benchPackReady(dir, 'reduced')).toBe(true);
    expect(await benchPackReady(dir, 'full')).toBe(false);
  });

  it('exports the hub models\' input and output names (fill-mask logits over the vocabulary; image logits)', async () => {
    const text = await ort.InferenceSession.create(path.join(dir, 'text/onnx/model.onnx'));
    expect([...text.inputNames].sort()).toEqual(['attention_mask', 'input_ids', 'token_type_ids']);
    expect(text.outputNames).toEqual(['logits']);
    const ids = new ort.Tensor('int64', BigInt64Array.from([101n, 2000n, 102n]), [1, 3]);
    const ones = new ort.Tensor('int64', BigInt64Array.from([1n, 1n, 1n]), [1, 3]);
    const zeros = new ort.Tensor('int64', new BigInt64Array(3), [1, 3]);
    const out = await text.run({ input_ids: ids, attention_mask: ones, token_type_ids: zeros });
    expect(out.logits.dims).toEqual([1, 3, 30522]);
    await text.release();
    const image = await ort.InferenceSession.create(path.join(dir, 'image/onnx/model.onnx'));
    expect(image.inputNames).toEqual(['pixel_values']);
    expect(image.outputNames).toEqual(['logits']);
    const px = await image.run({ pixel_values: new ort.Tensor('float32', new Float32Array(3 * 224 * 224), [1, 3, 224, 224]) });
    expect(px.logits.dims).toEqual([1, 1000]);
    await image.release();
  });

  it('tokenizes captions like bert-base-uncased: one token per everyday word, short pieces for others, no [UNK]', async () => {
    const tok = await TextTokenizer.load(path.join(dir, 'text'), 128);
    const rand = rng(5);
    for (const words of [5, 12, 25]) {
      const cap = makeCaption(rand, words);
      expect(tok.encode(cap.text.toUpperCase())).toHaveLength(words + 2);
    }
    const odd = tok.encode('xylophonist qwzj');
    expect(odd[0]).toBe(101);
    expect(odd.at(-1)).toBe(102);
    expect(odd).not.toContain(100);
    expect(odd.length - 2).toBeGreaterThanOrEqual(4);
    expect(odd.length - 2).toBeLessThanOrEqual(7);
  });

  it('ensureBenchPack reuses a complete pack and regenerates an unfinished one', async () => {
    const again = await ensureBenchPack(dir, { scale: 'reduced' });
    expect(again).toEqual({ dir: path.resolve(dir), generated: false });
    await rm(path.join(dir, 'bench-pack.json'));
    const lines: string[] = [];
    const redo = await ensureBenchPack(dir, { scale: 'reduced', onProgress: (l) => lines.push(l) });
    expect(redo.generated).toBe(true);
    expect(lines[0]).toMatch(/generating it once/);
    expect(await benchPackReady(dir, 'reduced')).toBe(true);
  });
});
