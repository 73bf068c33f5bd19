import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { env } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemeguardError } from '../../../src/errors.js';
import { loadTextModel } from '../../../src/inference/models/text-model.js';
import { sigmoid, softmax } from '../../../src/inference/models/scoring.js';
import { releaseSharedSessions } from '../../../src/inference/onnx/session.js';
import { readPack } from '../../../src/inference/pack/load.js';
import type { TextModelConfig } from '../../../src/inference/pack/schema.js';
import { buildVocab } from '../../../src/synth/onnx/vocab.js';
import { writeTinyPack } from '../../../src/synth/pack.js';

process.env.MEMEGUARD_LOG = 'silent';
let tmp: string;
let fePack: string;
let fmPack: string;
let clsPack: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mg-text-'));
  [fePack, fmPack, clsPack] = await Promise.all([
    writeTinyPack(path.join(tmp, 'fe'), { text: 'feature-extraction', image: null, seed: 4 }),
    writeTinyPack(path.join(tmp, 'fm'), { text: 'fill-mask', image: null, seed: 4 }),
    writeTinyPack(path.join(tmp, 'cls'), { text: 'classifier', image: null, seed: 4 }),
  ]);
});
afterAll(async () => {
  await releaseSharedSessions();
  await rm(tmp, { recursive: true, force: true });
});

const textCfg = async (pack: string, patch: Record<string, unknown> = {}): Promise<TextModelConfig> =>
  ({ ...(await readPack(pack)).json.text!, ...patch }) as TextModelConfig;

const H = 32;
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol);
};

/** last_hidden_state computed by a plain session on the feature-extraction export, for one text's ids. */
async function directHidden(ids: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(path.join(fePack, 'text/onnx/model.onnx'));
  const t = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
  const out = await s.run({ input_ids: t(ids), attention_mask: t(ids.map(() => 1)), token_type_ids: t(ids.map(() => 0)) });
  return out.last_hidden_state.data as Float32Array;
}

describe('text model: tokenization', () => {
  it('token ids for known strings equal the ids written by hand from the vocabulary', async () => {
    const m = await loadTextModel(fePack, await textCfg(fePack));
    // [CLS]=2 the=73 dog=386 hate=449 ##s=479 cat=450 !=5 [SEP]=3 (vocab: 5 specials, 32 punctuation, 10 digits, 26 letters, words)
    const vocab = buildVocab();
    expect([vocab[73], vocab[386], vocab[449], vocab[479], vocab[450], vocab[5]]).toEqual(['the', 'dog', 'hate', '##s', 'cat', '!']);
    const { inputIds } = await m.encode(['The dog HATES cats!', 'walking', 'Hello 你', '']);
    expect(inputIds[0]).toEqual([2, 73, 386, 449, 479, 450, 479, 5, 3]);
    expect(inputIds[1]).toEqual([2, 328, 482, 3]); // walk ##ing
    expect(inputIds[2]).toEqual([2, 82, 499, 499, 502, 1, 3]); // he ##l ##l ##o [UNK]
    expect(inputIds[3]).toEqual([2, 3]);
    // Loading switched transformers.js to local files only: nothing can be downloaded at run time.
    expect(env.allowRemoteModels).toBe(false);
  });

  it('truncates to the pack maxLength keeping [CLS] … [SEP] (as the Python tokenizers do)', async () => {
    const m = await loadTextModel(fePack, await textCfg(fePack, { maxLength: 6 }));
    const { inputIds, embeddings } = await m.encode(['the dog the cat the dog the cat', 'dog']);
    expect(inputIds[0]).toEqual([2, 73, 386, 73, 450, 3]);
    expect(inputIds[1]).toEqual([2, 386, 3]);
    expect(embeddings).toHaveLength(2);
  });
});

describe('text model: encoder kinds', () => {
  it('feature-extraction export: cls pooling is position 0 of last_hidden_state; mean is the masked mean', async () => {
    const cls = await loadTextModel(fePack, await textCfg(fePack, { pooling: 'cls' }));
    const mean = await loadTextModel(fePack, await textCfg(fePack, { pooling: 'mean' }));
    expect(cls.kind).toBe('encoder');
    expect(cls.hiddenSize).toBe(H);
    expect(cls.device).toBe('cpu');
    const text = 'people love funny memes';
    const a = await cls.encode([text]);
    const b = await mean.encode([text]);
    const hidden = await directHidden(a.inputIds[0]);
    close(a.embeddings![0], hidden.subarray(0, H));
    const S = a.inputIds[0].length;
    const expected = new Float32Array(H);
    for (let s = 0; s < S; s++) for (let h = 0; h < H; h++) expected[h] += hidden[s * H + h] / S;
    close(b.embeddings![0], expected);
    expect(Math.abs(b.embeddings![0][0] - a.embeddings![0][0])).toBeGreaterThan(0); // they are different vectors
  });

  it('batched (padded) embeddings equal one-at-a-time embeddings, for cls and mean pooling', async () => {
    const texts = ['dog', 'the women love the free country flag', 'i hate it', 'walking to school every morning with friends'];
    for (const pooling of ['cls', 'mean'] as const) {
      const m = await loadTextModel(fePack, await textCfg(fePack, { pooling }));
      const batched = await m.encode(texts);
      for (let i = 0; i < texts.length; i++) {
        const single = await m.encode([texts[i]]);
        expect(batched.inputIds[i]).toEqual(single.inputIds[0]);
        close(batched.embeddings![i], single.embeddings![0]);
      }
    }
  });

  it('fill-mask export: the exposed hidden state equals the feature-extraction export’s (same encoder weights)', async () => {
    const fm = await loadTextModel(fmPack, await textCfg(fmPack, { pooling: 'mean' }));
    const fe = await loadTextModel(fePack, await textCfg(fePack, { pooling: 'mean' }));
    const texts = ['the dog', 'muslim women vote'];
    const a = await fm.encode(texts);
    const b = await fe.encode(texts);
    expect(fm.hiddenSize).toBe(H);
    for (let i = 0; i < texts.length; i++) close(a.embeddings![i], b.embeddings![i]);
  });

  it('an empty batch gives empty results', async () => {
    const m = await loadTextModel(fePack, await textCfg(fePack));
    expect(await m.encode([])).toEqual({ inputIds: [], embeddings: [] });
  });
});

describe('text model: classifier kind', () => {
  it('multi_label: sigmoid per label, hateful labels combined by max; labels from config.json', async () => {
    const cfg = await textCfg(clsPack);
    const m = await loadTextModel(clsPack, cfg);
    expect(m.kind).toBe('classifier');
    expect(m.labels).toEqual(['toxic', 'severe_toxic', 'obscene', 'threat', 'insult', 'identity_hate']);
    const { scores, logits } = await m.encode(['i hate you', 'the cat is happy']);
    for (let i = 0; i < 2; i++) {
      expect(logits![i]).toHaveLength(6);
      expect(scores![i]).toBeCloseTo(Math.max(sigmoid(logits![i][5]), sigmoid(logits![i][4])), 6);
    }
    expect(scores![0]).not.toBeCloseTo(scores![1], 6);
  });

  it('single_label: softmax over labels, hateful labels summed', async () => {
    const m = await loadTextModel(clsPack, await textCfg(clsPack, { problemType: 'single_label', combine: 'sum', hatefulLabels: ['threat', 'insult'] }));
    const { scores, logits } = await m.encode(['stupid ugly trash']);
    const p = softmax(logits![0]);
    expect(scores![0]).toBeCloseTo(p[3] + p[4], 6);
  });

  it('a hateful label the model does not have is a PACK_INVALID error naming it', async () => {
    await expect(loadTextModel(clsPack, await textCfg(clsPack, { hatefulLabels: ['hateful'] }))).rejects.toMatchObject({
      code: 'PACK_INVALID',
      message: expect.stringContaining('"hateful"'),
    });
  });
});

describe('text model: missing and broken files', () => {
  it('names the missing file and how to fix it', async () => {
    const cases: [string, RegExp][] = [
      ['text/tokenizer.json', /tokenizer\.json/],
      ['text/config.json', /config\.json/],
      ['text/onnx/model.onnx', /model\.onnx/],
    ];
    for (const [rel, re] of cases) {
      const pack = await writeTinyPack(path.join(tmp, `miss-${path.basename(rel)}`), { image: null });
      await rm(path.join(pack, rel));
      const err = await loadTextModel(pack, await textCfg(pack)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MemeguardError);
      expect((err as MemeguardError).code).toBe('PACK_MISSING');
      expect((err as MemeguardError).message).toMatch(re);
      expect((err as MemeguardError).toLine()).toContain('memeguard models pull');
    }
    const noFolder = await loadTextModel(tmp, { path: 'nowhere', kind: 'encoder', pooling: 'cls', onnx: 'onnx/model.onnx', maxLength: 128 }).catch((e: unknown) => e);
    expect((noFolder as MemeguardError).code).toBe('PACK_MISSING');
  });

  it('a corrupt model.onnx is MODEL_INVALID naming the file', async () => {
    const pack = await writeTinyPack(path.join(tmp, 'corrupt'), { image: null, text: 'fill-mask' });
    const file = path.join(pack, 'text/onnx/model.onnx');
    await writeFile(file, (await readFile(file)).subarray(0, 5000));
    await expect(loadTextModel(pack, await textCfg(pack))).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining(file),
    });
    const pack2 = await writeTinyPack(path.join(tmp, 'garbage'), { image: null });
    await writeFile(path.join(pack2, 'text/onnx/model.onnx'), 'not a model at all');
    await expect(loadTextModel(pack2, await textCfg(pack2))).rejects.toMatchObject({ code: 'MODEL_INVALID' });
  });
});

describe('text model: quantised exports (onnx/model_quantized.onnx)', () => {
  it('fill-mask with DynamicQuantizeLinear/MatMulInteger everywhere: the hidden state is found and close to the float model’s', async () => {
    const qPack = await writeTinyPack(path.join(tmp, 'quant'), { text: 'fill-mask', image: null, seed: 4, quantized: true, pooling: 'mean' });
    const cfg = await textCfg(qPack);
    expect(cfg.onnx).toBe('onnx/model_quantized.onnx');
    const q = await loadTextModel(qPack, cfg);
    const f = await loadTextModel(fePack, await textCfg(fePack, { pooling: 'mean' }));
    const texts = ['the dog hates cats', 'people love funny memes'];
    const a = await q.encode(texts);
    const b = await f.encode(texts);
    for (let i = 0; i < texts.length; i++) {
      const x = a.embeddings![i];
      const y = b.embeddings![i];
      let dot = 0;
      let nx = 0;
      let ny = 0;
      for (let h = 0; h < H; h++) {
        dot += x[h] * y[h];
        nx += x[h] ** 2;
        ny += y[h] ** 2;
      }
      expect(dot / Math.sqrt(nx * ny)).toBeGreaterThan(0.995); // int8 error, not a different tensor
      expect(Array.from(x)).not.toEqual(Array.from(y));
    }
  });
});
