import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { MemeguardError } from '../../../src/errors.js';
import { indexModel } from '../../../src/inference/onnx/graph-index.js';
import { addGraphOutputs, exposeImageFeatures, exposeTextHidden } from '../../../src/inference/onnx/expose.js';
import { buildBertGraph } from '../../../src/synth/onnx/bert.js';
import { GraphBuilder, attr, decodeModel, tensorValues } from '../../../src/synth/onnx/builder.js';
import { BERT_PRESETS } from '../../../src/synth/onnx/model-folder.js';
import { buildResNetGraph } from '../../../src/synth/onnx/resnet.js';

const H = BERT_PRESETS.tiny.hiddenSize;
const V = BERT_PRESETS.tiny.vocabSize;
const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);

function initializers(bytes: Uint8Array): Map<string, Float32Array> {
  const g = decodeModel(bytes).graph!;
  return new Map(g.initializer!.filter((t) => t.dataType === 1).map((t) => [t.name!, tensorValues(t) as Float32Array]));
}

const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

/** The MLM head in plain JS: dense H×H → GELU → LayerNorm → decoder H×V + bias. */
function mlmHead(h: Float32Array, w: Map<string, Float32Array>): Float64Array {
  const Wt = w.get('cls.predictions.transform.dense.weight')!;
  const bt = w.get('cls.predictions.transform.dense.bias')!;
  const gamma = w.get('cls.predictions.transform.LayerNorm.weight')!;
  const beta = w.get('cls.predictions.transform.LayerNorm.bias')!;
  const E = w.get('bert.embeddings.word_embeddings.weight')!; // [V, H], tied: decoder = Eᵀ
  const separate = w.get('cls.predictions.decoder.weight'); // [H, V] when not tied
  const Wd = separate ?? Float32Array.from({ length: H * V }, (_, k) => E[(k % V) * H + Math.floor(k / V)]);
  const bd = w.get('cls.predictions.bias')!;
  const t = new Float64Array(H);
  for (let j = 0; j < H; j++) {
    let z = bt[j];
    for (let i = 0; i < H; i++) z += h[i] * Wt[i * H + j];
    t[j] = gelu(z);
  }
  const mean = t.reduce((a, b) => a + b, 0) / H;
  const variance = t.reduce((a, b) => a + (b - mean) ** 2, 0) / H;
  const n = t.map((v, j) => ((v - mean) / Math.sqrt(variance + 1e-12)) * gamma[j] + beta[j]);
  const logits = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    let z = bd[v];
    for (let j = 0; j < H; j++) z += n[j] * Wd[j * V + v];
    logits[v] = z;
  }
  return logits;
}

describe('exposeTextHidden', () => {
  for (const [layerNorm, tie] of [['decomposed', true], ['fused', false]] as const) {
    it(`fill-mask BERT (${layerNorm} LayerNorm, ${tie ? 'tied' : 'separate'} decoder): the exposed tensor is what the MLM head reads`, async () => {
      const bytes = buildBertGraph({ ...BERT_PRESETS.tiny, task: 'fill-mask', seed: 11, layerNorm, tieWordEmbeddings: tie }).toBuffer();
      const ex = exposeTextHidden(bytes, { hiddenSize: H, vocabSize: V, file: 'model.onnx' });
      expect(ex.width).toBe(H);
      expect(ex.alreadyOutput).toBe(false);
      const s = await ort.InferenceSession.create(ex.bytes);
      expect(s.outputNames).toEqual(['logits', ex.tensor]);
      const ids = [[2, 73, 386, 449, 3], [2, 448, 450, 3, 0]];
      const mask = [[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]];
      const out = await s.run({ input_ids: i64(ids), attention_mask: i64(mask), token_type_ids: i64(ids.map((r) => r.map(() => 0))) });
      expect(out[ex.tensor].dims).toEqual([2, 5, H]);
      const hidden = out[ex.tensor].data as Float32Array;
      const logits = out.logits.data as Float32Array;
      const w = initializers(bytes);
      for (const pos of [0, 3, 7]) {
        const expected = mlmHead(hidden.subarray(pos * H, (pos + 1) * H), w);
        let worst = 0;
        for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(expected[v] - logits[pos * V + v]));
        expect(worst).toBeLessThan(2e-3);
      }
    });
  }

  it('splices only the graph: every original byte is kept, the new output is appended', () => {
    const bytes = buildBertGraph({ ...BERT_PRESETS.tiny, task: 'fill-mask', numLayers: 1 }).toBuffer();
    const ex = exposeTextHidden(bytes, { hiddenSize: H, file: 'model.onnx' });
    const gf = indexModel(bytes).graphField;
    expect(ex.bytes.length - bytes.length).toBeLessThan(64);
    expect(Buffer.from(ex.bytes).indexOf(Buffer.from(bytes.subarray(gf.dataStart, gf.end)))).toBeGreaterThan(0);
    const idx = indexModel(ex.bytes);
    expect(idx.outputs).toEqual(['logits', ex.tensor]);
    expect(idx.weights.get('bert.embeddings.word_embeddings.weight')).toEqual([V, H]);
    // Adding an output that exists changes nothing.
    expect(addGraphOutputs(ex.bytes, ['logits'])).toBe(ex.bytes);
  });

  it('finds the hidden state through a dynamically quantised head (DynamicQuantizeLinear → MatMulInteger)', async () => {
    const g = new GraphBuilder({ opset: 14 });
    const Hq = 8;
    const Vq = 20;
    const x = g.input('x', 'float32', ['batch', 'sequence', Hq]);
    const hidden = g.node('Tanh', [x], {}, 'encoder_output');
    const qlinear = (input: string, name: string, inDim: number, outDim: number) => {
      const [q, scale, zp] = g.nodeN('DynamicQuantizeLinear', [input], {}, { outputs: 3 });
      const w = g.initializer(`${name}.weight_quantized`, [inDim, outDim], Int8Array.from({ length: inDim * outDim }, (_, i) => ((i * 37) % 255) - 127), 'int8');
      const acc = g.node('MatMulInteger', [q, w, zp]);
      const f = g.node('Cast', [acc], { to: attr.int(1) });
      const scaled = g.node('Mul', [f, g.node('Mul', [scale, g.constFloat([0.01])])]);
      return g.node('Add', [scaled, g.initializer(`${name}.bias`, [outDim], new Float32Array(outDim).fill(0.1))]);
    };
    const t = g.node('Relu', [qlinear(hidden, 'transform', Hq, Hq)]);
    g.node('Identity', [qlinear(t, 'decoder', Hq, Vq)], {}, 'logits');
    g.output('logits', 'float32', ['batch', 'sequence', Vq]);
    const ex = exposeTextHidden(g.toBuffer(), { hiddenSize: Hq, vocabSize: Vq, file: 'model_quantized.onnx' });
    expect(ex.tensor).toBe('encoder_output');
    const s = await ort.InferenceSession.create(ex.bytes);
    const xs = Float32Array.from({ length: 2 * Hq }, (_, i) => i / 4 - 2);
    const out = await s.run({ x: new ort.Tensor('float32', xs, [1, 2, Hq]) });
    const got = out.encoder_output.data as Float32Array;
    xs.forEach((v, i) => expect(got[i]).toBeCloseTo(Math.tanh(v), 5));
  });

  it('refuses with MODEL_INVALID naming the file when no tensor of width H feeds the head', () => {
    const bytes = buildBertGraph({ ...BERT_PRESETS.tiny, task: 'fill-mask', numLayers: 1 }).toBuffer();
    let err: unknown;
    try {
      exposeTextHidden(bytes, { hiddenSize: 48, vocabSize: V, file: '/packs/x/text/onnx/model.onnx' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemeguardError);
    expect((err as MemeguardError).code).toBe('MODEL_INVALID');
    expect((err as MemeguardError).message).toContain('/packs/x/text/onnx/model.onnx');
    expect((err as MemeguardError).message).toContain('48');
    expect(() => exposeTextHidden(Buffer.from('garbage bytes'), { hiddenSize: H, file: 'bad.onnx' })).toThrow(/bad\.onnx/);
  });
});

describe('addGraphOutputs in place', () => {
  /** A model whose graph is `pad` floats of initializer plus Tanh(x) → y. */
  function model(pad: number): Uint8Array {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2]);
    g.initializer('pad', [pad], new Float32Array(pad).fill(0.5));
    g.node('Tanh', [x], {}, 'inner');
    g.output(g.node('Neg', ['inner'], {}, 'y'), 'float32', [2]);
    return g.toBuffer();
  }
  const withSlack = (b: Uint8Array) => {
    const buf = new Uint8Array(new ArrayBuffer(b.length + 1024), 0, b.length);
    buf.set(b);
    return buf;
  };

  it('gives the same bytes as the copying splice, inside the same buffer, also when the length prefix grows', async () => {
    // Find a graph just under 16384 bytes, so that the new output makes its length varint 3 bytes instead of 2.
    let pad = 4000;
    while (indexModel(model(pad)).graphField.end - indexModel(model(pad)).graphField.dataStart < 16384 - 12) pad++;
    const crossing = model(pad);
    const gf = indexModel(crossing).graphField;
    expect(gf.end - gf.dataStart).toBeLessThan(16384);
    for (const bytes of [model(10), crossing]) {
      const copied = addGraphOutputs(bytes, ['inner']);
      const src = withSlack(bytes);
      const inPlace = addGraphOutputs(src, ['inner'], indexModel(src), { inPlace: true });
      expect(inPlace.buffer).toBe(src.buffer);
      expect(Buffer.compare(Buffer.from(inPlace), Buffer.from(copied))).toBe(0);
      const s = await ort.InferenceSession.create(inPlace);
      const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([0.5, -1]), [2]) });
      expect((out.inner.data as Float32Array)[1]).toBeCloseTo(Math.tanh(-1), 6);
    }
    const big = addGraphOutputs(crossing, ['inner']);
    const bgf = indexModel(big).graphField;
    expect(bgf.dataStart - bgf.start).toBe(gf.dataStart - gf.start + 1);
    // Without room in the buffer it falls back to a copy and leaves the input alone.
    const tight = Uint8Array.from(crossing);
    const out = addGraphOutputs(tight, ['inner'], indexModel(tight), { inPlace: true });
    expect(out.buffer).not.toBe(tight.buffer);
    expect(Buffer.compare(Buffer.from(tight), Buffer.from(crossing))).toBe(0);
  });
});

describe('exposeImageFeatures', () => {
  it('exposes the flattened pooled features; Gemm on them reproduces the logits', async () => {
    const bytes = buildResNetGraph({ embeddingSize: 8, hiddenSizes: [16, 24], depths: [1, 2], numLabels: 50, seed: 4 }).toBuffer();
    const ex = exposeImageFeatures(bytes, { file: 'model.onnx', featureSize: 24 });
    expect(ex.width).toBe(24);
    const producer = indexModel(ex.bytes).producer.get(ex.tensor)!;
    expect(producer.opType).toBe('Flatten');
    const s = await ort.InferenceSession.create(ex.bytes);
    const px = Float32Array.from({ length: 2 * 3 * 224 * 224 }, (_, i) => Math.cos(i / 13));
    const out = await s.run({ pixel_values: new ort.Tensor('float32', px, [2, 3, 224, 224]) });
    expect(out[ex.tensor].dims).toEqual([2, 24]);
    const f = out[ex.tensor].data as Float32Array;
    const logits = out.logits.data as Float32Array;
    const w = initializers(bytes);
    const W = w.get('classifier.1.weight')!;
    const b = w.get('classifier.1.bias')!;
    for (let n = 0; n < 2; n++) {
      for (let j = 0; j < 50; j++) {
        let z = b[j];
        for (let k = 0; k < 24; k++) z += f[n * 24 + k] * W[j * 24 + k];
        expect(Math.abs(z - logits[n * 50 + j])).toBeLessThan(1e-4);
      }
    }
  });

  it('a feature width that disagrees with config.json is MODEL_INVALID', () => {
    const bytes = buildResNetGraph({ embeddingSize: 4, hiddenSizes: [8], depths: [1], numLabels: 5 }).toBuffer();
    expect(() => exposeImageFeatures(bytes, { file: 'resnet.onnx', featureSize: 2048 })).toThrow(/resnet\.onnx.*8 features.*2048/);
  });
});
