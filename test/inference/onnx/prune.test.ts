import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exposeImageFeatures, exposeTextHidden } from '../../../src/inference/onnx/expose.js';
import { indexModel } from '../../../src/inference/onnx/graph-index.js';
import { pruneToOutputs } from '../../../src/inference/onnx/prune.js';
import { buildBertGraph } from '../../../src/synth/onnx/bert.js';
import { BERT_PRESETS } from '../../../src/synth/onnx/model-folder.js';
import { buildResNetGraph } from '../../../src/synth/onnx/resnet.js';

const H = BERT_PRESETS.tiny.hiddenSize;
const V = BERT_PRESETS.tiny.vocabSize;
const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
const ids = [[2, 73, 386, 449, 3], [2, 448, 450, 3, 0]];
const feeds = () => ({
  input_ids: i64(ids),
  attention_mask: i64([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]]),
  token_type_ids: i64(ids.map((r) => r.map(() => 0))),
});

describe('pruneToOutputs', () => {
  for (const [layerNorm, tie] of [['decomposed', true], ['fused', false]] as const) {
    it(`fill-mask BERT (${layerNorm}, ${tie ? 'tied' : 'separate'} decoder): only the hidden state is left, with the same values`, async () => {
      const bytes = buildBertGraph({ ...BERT_PRESETS.tiny, task: 'fill-mask', seed: 5, layerNorm, tieWordEmbeddings: tie }).toBuffer();
      const ex = exposeTextHidden(bytes, { hiddenSize: H, vocabSize: V, file: 'model.onnx' });
      const before = indexModel(ex.bytes);
      const pruned = pruneToOutputs(ex.bytes, [ex.tensor]);
      const after = indexModel(pruned.bytes);
      expect(after.outputs).toEqual([ex.tensor]);
      expect(after.inputs).toEqual(before.inputs);
      // the MLM head is gone: the transform dense, its LayerNorm, the decoder projection and its bias
      expect(pruned.removedNodes).toBeGreaterThan(3);
      expect(after.nodes.length).toBe(before.nodes.length - pruned.removedNodes);
      expect(after.weights.has('cls.predictions.bias')).toBe(false);
      expect(after.weights.has('cls.predictions.transform.dense.weight')).toBe(false);
      // the word embeddings stay (the encoder reads them, tied or not)
      expect(after.weights.get('bert.embeddings.word_embeddings.weight')).toEqual([V, H]);
      expect(pruned.bytes.length).toBeLessThan(ex.bytes.length);

      const full = await ort.InferenceSession.create(ex.bytes);
      const small = await ort.InferenceSession.create(pruned.bytes);
      expect(small.outputNames).toEqual([ex.tensor]);
      const a = (await full.run(feeds()))[ex.tensor].data as Float32Array;
      const b = (await small.run(feeds()))[ex.tensor].data as Float32Array;
      expect(Array.from(b)).toEqual(Array.from(a));
    });
  }

  it('in place gives the same bytes as a copy, inside the caller’s buffer', () => {
    const bytes = buildBertGraph({ ...BERT_PRESETS.tiny, task: 'fill-mask', seed: 6 }).toBuffer();
    const ex = exposeTextHidden(bytes, { hiddenSize: H, vocabSize: V, file: 'model.onnx' });
    const copy = pruneToOutputs(ex.bytes, [ex.tensor]);
    const own = Uint8Array.from(ex.bytes);
    const inPlace = pruneToOutputs(own, [ex.tensor], { inPlace: true });
    expect(inPlace.bytes.buffer).toBe(own.buffer);
    expect(Buffer.from(inPlace.bytes).equals(Buffer.from(copy.bytes))).toBe(true);
  });

  it('image classifier → features: the classifier Gemm and its weights go, the features stay equal', async () => {
    const bytes = buildResNetGraph({ embeddingSize: 8, hiddenSizes: [16, 24], depths: [1, 2], numLabels: 50, seed: 3 }).toBuffer();
    const ex = exposeImageFeatures(bytes, { file: 'model.onnx' });
    const pruned = pruneToOutputs(ex.bytes, [ex.tensor]);
    expect(indexModel(pruned.bytes).outputs).toEqual([ex.tensor]);
    expect(pruned.removedNodes).toBeGreaterThanOrEqual(1);
    expect(pruned.removedInitializers).toBeGreaterThanOrEqual(1);
    const x = new ort.Tensor('float32', Float32Array.from({ length: 2 * 3 * 224 * 224 }, (_, i) => Math.sin(i) * 2), [2, 3, 224, 224]);
    const a = (await (await ort.InferenceSession.create(ex.bytes)).run({ pixel_values: x }))[ex.tensor].data as Float32Array;
    const b = (await (await ort.InferenceSession.create(pruned.bytes)).run({ pixel_values: x }))[ex.tensor].data as Float32Array;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('keeping every output changes nothing; an unknown tensor is refused', () => {
    const bytes = buildBertGraph({ ...BERT_PRESETS.tiny, task: 'feature-extraction', seed: 7 }).toBuffer();
    const same = pruneToOutputs(bytes, ['last_hidden_state']);
    expect(same.removedNodes).toBe(0);
    expect(same.bytes).toBe(bytes);
    expect(() => pruneToOutputs(bytes, ['no_such_tensor'])).toThrow(/no such tensor/);
  });
});
