import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBertGraph } from '../../../src/synth/onnx/bert.js';
import { BERT_PRESETS, TOXIC_BERT_LABELS, generateModelFolder } from '../../../src/synth/onnx/model-folder.js';
import { onnx } from '../../../src/synth/onnx/proto.js';
import { buildResNetGraph } from '../../../src/synth/onnx/resnet.js';
import { buildVocab } from '../../../src/synth/onnx/vocab.js';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'mg-folder-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const readJson = async (f: string) => JSON.parse(await readFile(f, 'utf8')) as Record<string, any>;
const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);

async function runBert(bytes: Uint8Array, ids: number[][], mask: number[][]) {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ input_ids: i64(ids), attention_mask: i64(mask), token_type_ids: i64(ids.map((r) => r.map(() => 0))) });
  return { names: s.outputNames, out };
}

describe('generateModelFolder: BERT', () => {
  it('feature-extraction: hub files and last_hidden_state [batch, seq, H]', async () => {
    const f = await generateModelFolder(path.join(tmp, 'fe'), { model: 'bert', task: 'feature-extraction' });
    const cfg = await readJson(path.join(f.dir, 'config.json'));
    expect(cfg).toMatchObject({ model_type: 'bert', hidden_size: 32, vocab_size: buildVocab().length, architectures: ['BertModel'] });
    const tok = await readJson(path.join(f.dir, 'tokenizer.json'));
    expect(tok.normalizer).toMatchObject({ type: 'BertNormalizer', lowercase: true });
    expect(tok.pre_tokenizer.type).toBe('BertPreTokenizer');
    expect(tok.model).toMatchObject({ type: 'WordPiece', unk_token: '[UNK]' });
    expect(tok.post_processor.type).toBe('TemplateProcessing');
    for (const t of ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hate', 'love', 'the']) expect(tok.model.vocab[t]).toBeTypeOf('number');
    expect(await readJson(path.join(f.dir, 'tokenizer_config.json'))).toMatchObject({ tokenizer_class: 'BertTokenizer', do_lower_case: true });
    expect(await readJson(path.join(f.dir, 'special_tokens_map.json'))).toMatchObject({ cls_token: '[CLS]' });
    const { names, out } = await runBert(await readFile(f.onnxPath), [[2, 40, 41, 3]], [[1, 1, 1, 1]]);
    expect(names).toEqual(['last_hidden_state']);
    expect(out.last_hidden_state.dims).toEqual([1, 4, 32]);
  });

  it('fill-mask outputs only logits over the vocabulary; classifier outputs [batch, 6] with toxic-bert labels', async () => {
    const fm = await generateModelFolder(path.join(tmp, 'fm'), { model: 'bert', task: 'fill-mask' });
    const r1 = await runBert(await readFile(fm.onnxPath), [[2, 40, 3], [2, 41, 3]], [[1, 1, 1], [1, 1, 1]]);
    expect(r1.names).toEqual(['logits']);
    expect(r1.out.logits.dims).toEqual([2, 3, buildVocab().length]);
    const cl = await generateModelFolder(path.join(tmp, 'cl'), { model: 'bert', task: 'classifier' });
    const cfg = await readJson(path.join(cl.dir, 'config.json'));
    expect(Object.values(cfg.id2label)).toEqual(TOXIC_BERT_LABELS);
    expect(cfg.problem_type).toBe('multi_label_classification');
    const r2 = await runBert(await readFile(cl.onnxPath), [[2, 40, 3]], [[1, 1, 1]]);
    expect(r2.out.logits.dims).toEqual([1, 6]);
  });

  it('is a real transformer: the attention mask hides padded tokens, unmasked tokens change every position', async () => {
    const bytes = buildBertGraph({ ...BERT_PRESETS.tiny, task: 'feature-extraction', seed: 3 }).toBuffer();
    const run = async (ids: number[], mask: number[]) =>
      (await runBert(bytes, [ids], [mask])).out.last_hidden_state.data as Float32Array;
    const a = await run([2, 40, 41, 3, 0], [1, 1, 1, 1, 0]);
    const b = await run([2, 40, 41, 3, 99], [1, 1, 1, 1, 0]); // different token under a zero mask
    const c = await run([2, 40, 41, 3, 99], [1, 1, 1, 1, 1]); // the same token, attended to
    const H = 32;
    for (let i = 0; i < 4 * H; i++) expect(b[i]).toBeCloseTo(a[i], 5);
    let diff = 0;
    for (let i = 0; i < H; i++) diff += Math.abs(c[i] - a[i]); // the CLS position sees the extra token
    expect(diff).toBeGreaterThan(1e-3);
  });

  it('fused LayerNormalization (opset 17) computes the same as the decomposed form', async () => {
    const ids = [[2, 40, 41, 3]];
    const mask = [[1, 1, 1, 1]];
    const dec = buildBertGraph({ ...BERT_PRESETS.tiny, task: 'feature-extraction', seed: 5 });
    const fused = buildBertGraph({ ...BERT_PRESETS.tiny, task: 'feature-extraction', seed: 5, layerNorm: 'fused' });
    expect(fused.opset).toBe(17);
    const a = (await runBert(dec.toBuffer(), ids, mask)).out.last_hidden_state.data as Float32Array;
    const b = (await runBert(fused.toBuffer(), ids, mask)).out.last_hidden_state.data as Float32Array;
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 3);
  });

  it('quantized: writes onnx/model_quantized.onnx with DynamicQuantizeLinear + MatMulInteger and int8 weights', async () => {
    const f = await generateModelFolder(path.join(tmp, 'q'), { model: 'bert', task: 'fill-mask', quantized: true });
    const bytes = await readFile(path.join(f.dir, 'onnx/model_quantized.onnx'));
    const ops = new Set<string>();
    const graph = onnx.ModelProto.decode(bytes).graph!;
    for (const n of graph.node!) ops.add(n.opType!);
    expect(ops.has('DynamicQuantizeLinear')).toBe(true);
    expect(ops.has('MatMulInteger')).toBe(true);
    expect(graph.initializer!.filter((t) => t.dataType === 3).length).toBeGreaterThan(10); // INT8
    expect(bytes.length).toBeLessThan((await readFile(f.onnxPath)).length);
    const r = await runBert(bytes, [[2, 40, 3]], [[1, 1, 1]]);
    expect(r.out.logits.dims).toEqual([1, 3, buildVocab().length]);
  });

  it('weights are deterministic in the seed', () => {
    const spec = { ...BERT_PRESETS.tiny, numLayers: 1, task: 'fill-mask' as const };
    const a = buildBertGraph({ ...spec, seed: 1 }).toBuffer();
    expect(Buffer.compare(a, buildBertGraph({ ...spec, seed: 1 }).toBuffer())).toBe(0);
    expect(Buffer.compare(a, buildBertGraph({ ...spec, seed: 2 }).toBuffer())).not.toBe(0);
  });

  it('the bert-base preset has the full shape (checked without writing 440 MB)', () => {
    const g = buildBertGraph({ ...BERT_PRESETS['bert-base'], task: 'fill-mask' });
    const params = g.initializers.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
    // bert-base-uncased MLM: ~110 M parameters (the decoder is tied to the word embeddings).
    expect(params).toBeGreaterThan(108e6);
    expect(params).toBeLessThan(111e6);
    expect(g.initializers.find((t) => t.name === 'bert.embeddings.word_embeddings.weight')!.dims).toEqual([30522, 768]);
    expect(buildVocab(30522)[101]).toBe('[CLS]');
  });
});

describe('generateModelFolder: ResNet', () => {
  it('writes config.json with 1000 labels, the ConvNext preprocessor config, and logits [batch, 1000]', async () => {
    const f = await generateModelFolder(path.join(tmp, 'rn'), { model: 'resnet' });
    const cfg = await readJson(path.join(f.dir, 'config.json'));
    expect(Object.keys(cfg.id2label)).toHaveLength(1000);
    expect(cfg.model_type).toBe('resnet');
    expect(await readJson(path.join(f.dir, 'preprocessor_config.json'))).toMatchObject({
      image_processor_type: 'ConvNextImageProcessor',
      size: { shortest_edge: 224 },
      crop_pct: 0.875,
      resample: 3,
      image_mean: [0.485, 0.456, 0.406],
      image_std: [0.229, 0.224, 0.225],
    });
    const s = await ort.InferenceSession.create(f.onnxPath);
    const px = Float32Array.from({ length: 2 * 3 * 224 * 224 }, (_, i) => Math.sin(i / 7));
    const out = await s.run({ pixel_values: new ort.Tensor('float32', px, [2, 3, 224, 224]) });
    expect(out.logits.dims).toEqual([2, 1000]);
    const l = out.logits.data as Float32Array;
    expect(l.every(Number.isFinite)).toBe(true);
    expect(f.hiddenSize).toBe(32);
  });

  it('explicit BatchNormalization nodes run too; the ResNet-152 preset has torchvision’s structure', async () => {
    const g = buildResNetGraph({ embeddingSize: 4, hiddenSizes: [8], depths: [2], numLabels: 10, batchNorm: 'explicit' });
    const s = await ort.InferenceSession.create(g.toBuffer());
    const out = await s.run({ pixel_values: new ort.Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.3), [1, 3, 224, 224]) });
    expect(out.logits.dims).toEqual([1, 10]);
    const big = buildResNetGraph({ embeddingSize: 64, hiddenSizes: [256, 512, 1024, 2048], depths: [3, 8, 36, 3], numLabels: 1000 });
    const params = big.initializers.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
    expect(params).toBeGreaterThan(59e6); // torchvision resnet152: 60.2 M
    expect(params).toBeLessThan(61e6);
    expect(big.initializers.find((t) => t.name === 'classifier.1.weight')!.dims).toEqual([1000, 2048]);
  });
});
