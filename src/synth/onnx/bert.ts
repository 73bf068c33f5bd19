/**
 * A BERT encoder as an ONNX graph, laid out the way torch.onnx / optimum exports bert-base-uncased: embeddings
 * (word Gather + position Slice + token-type Gather, LayerNorm), N layers of multi-head self-attention with the
 * additive attention mask and a GELU feed-forward block, then one of three tops:
 *   - 'feature-extraction': output `last_hidden_state` [batch, sequence, H];
 *   - 'fill-mask': the MLM head (dense H×H, GELU, LayerNorm, decoder H×vocab + bias) → `logits` [batch, sequence, vocab];
 *   - 'classifier': pooler (CLS token, dense + tanh) → classifier → `logits` [batch, labels].
 */
import { GraphBuilder, attr } from './builder.js';
import { normalArray, streamFor } from './random.js';

export type BertTask = 'feature-extraction' | 'fill-mask' | 'classifier';

export interface BertSpec {
  task: BertTask;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  typeVocabSize?: number;
  numLabels?: number;
  /** 'decomposed': ReduceMean/Sub/Pow/Sqrt/Div as older exports (opset 14); 'fused': LayerNormalization (opset 17). */
  layerNorm?: 'decomposed' | 'fused';
  layerNormEps?: number;
  /**
   * Fill-mask: the decoder reuses the word embeddings through a Transpose (tied weights, as bert-base-uncased;
   * ≈440 MB full-size) — default true; false stores a separate [H, vocab] decoder weight.
   */
  tieWordEmbeddings?: boolean;
  /**
   * Dynamic int8 quantisation of the dense layers, as the hub's onnx/model_quantized.onnx: DynamicQuantizeLinear on
   * the activations, MatMulInteger with a per-tensor symmetric int8 weight, rescale, bias. The weights are the
   * float model's (same seed), quantised; the MLM decoder is then stored untied.
   */
  quantize?: boolean;
  /** Standard deviation of the random weights (BERT's initializer_range is 0.02). */
  initStd?: number;
  seed?: number;
}

const FLOAT = 1; // TensorProto.FLOAT for Cast

export function buildBertGraph(spec: BertSpec): GraphBuilder {
  const H = spec.hiddenSize;
  const nh = spec.numHeads;
  if (H % nh !== 0) throw new Error(`hidden size ${H} is not divisible by ${nh} heads`);
  const hd = H / nh;
  const V = spec.vocabSize;
  const eps = spec.layerNormEps ?? 1e-12;
  const std = spec.initStd ?? 0.02;
  const seed = spec.seed ?? 1;
  const fused = spec.layerNorm === 'fused';
  const g = new GraphBuilder({ opset: fused ? 17 : 14, graphName: 'main_graph' });

  const weight = (name: string, dims: number[], s = std, mean = 0) =>
    g.initializer(name, dims, () => normalArray(dims.reduce((a, b) => a * b, 1), s, streamFor(seed, name), mean));
  const bias = (name: string, n: number) => weight(name, [n], std / 2);

  const layerNorm = (x: string, prefix: string, output?: string): string => {
    const gamma = weight(`${prefix}.weight`, [H], std, 1);
    const beta = bias(`${prefix}.bias`, H);
    if (fused) return g.node('LayerNormalization', [x, gamma, beta], { axis: attr.int(-1), epsilon: attr.float(eps) }, output);
    const mean = g.node('ReduceMean', [x], { axes: attr.ints([-1]) });
    const centered = g.node('Sub', [x, mean]);
    const sq = g.node('Pow', [centered, g.constFloat([2])]);
    const variance = g.node('ReduceMean', [sq], { axes: attr.ints([-1]) });
    const denom = g.node('Sqrt', [g.node('Add', [variance, g.constFloat([eps])])]);
    const normed = g.node('Div', [centered, denom]);
    return g.node('Add', [g.node('Mul', [normed, gamma]), beta], {}, output);
  };
  const randomWeights = (name: string, n: number) => normalArray(n, std, streamFor(seed, name));
  /** x @ W (+ nothing): float MatMul, or its dynamically quantised form. */
  const matmul = (x: string, name: string, inDim: number, outDim: number, source: () => Float32Array): string => {
    if (!spec.quantize) return g.node('MatMul', [x, g.initializer(name, [inDim, outDim], source)]);
    const absMax = (w: Float32Array) => w.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
    const wq = g.initializer(`${name}_quantized`, [inDim, outDim], () => {
      const w = source();
      const scale = absMax(w) / 127;
      return Int8Array.from(w, (v) => Math.max(-127, Math.min(127, Math.round(v / scale))));
    }, 'int8');
    const wScale = g.initializer(`${name}_scale`, [], () => Float32Array.of(absMax(source()) / 127));
    const [xq, xScale, xZero] = g.nodeN('DynamicQuantizeLinear', [x], {}, { outputs: 3 });
    const acc = g.node('MatMulInteger', [xq, wq, xZero]);
    return g.node('Mul', [g.node('Cast', [acc], { to: attr.int(FLOAT) }), g.node('Mul', [xScale, wScale])]);
  };
  const linear = (x: string, prefix: string, inDim: number, outDim: number): string => {
    const name = `${prefix}.weight`;
    return g.node('Add', [matmul(x, name, inDim, outDim, () => randomWeights(name, inDim * outDim)), bias(`${prefix}.bias`, outDim)]);
  };
  const gelu = (x: string): string => {
    const erf = g.node('Erf', [g.node('Div', [x, g.constFloat([Math.SQRT2])])]);
    return g.node('Mul', [g.node('Mul', [x, g.constFloat([0.5])]), g.node('Add', [erf, g.constFloat([1])])]);
  };

  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'sequence_length']);
  const tokenTypeIds = g.input('token_type_ids', 'int64', ['batch_size', 'sequence_length']);

  // Embeddings.
  const wordEmbWeight = weight('bert.embeddings.word_embeddings.weight', [V, H]);
  const wordEmb = g.node('Gather', [wordEmbWeight, inputIds], { axis: attr.int(0) });
  const seqLen = g.node('Slice', [g.node('Shape', [inputIds]), g.constInt64([1]), g.constInt64([2]), g.constInt64([0])]);
  const posEmb = g.node('Slice', [
    weight('bert.embeddings.position_embeddings.weight', [spec.maxPositions, H]),
    g.constInt64([0]),
    seqLen,
    g.constInt64([0]),
  ]);
  const typeEmb = g.node(
    'Gather',
    [weight('bert.embeddings.token_type_embeddings.weight', [spec.typeVocabSize ?? 2, H]), tokenTypeIds],
    { axis: attr.int(0) },
  );
  let x = layerNorm(g.node('Add', [g.node('Add', [wordEmb, posEmb]), typeEmb]), 'bert.embeddings.LayerNorm');

  // Extended attention mask: (1 - mask) * -10000, shape [batch, 1, 1, sequence].
  const maskF = g.node('Cast', [attentionMask], { to: attr.int(FLOAT) });
  const maskBias = g.node('Mul', [g.node('Sub', [g.constFloat([1]), maskF]), g.constFloat([-10000])]);
  const extMask = g.node('Unsqueeze', [maskBias, g.constInt64([1, 2])]);

  const headsShape = g.constInt64([0, 0, nh, hd]);
  const mergedShape = g.constInt64([0, 0, H]);
  const scale = g.constFloat([Math.sqrt(hd)]);
  for (let l = 0; l < spec.numLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const split = (name: string, perm: number[]) =>
      g.node('Transpose', [g.node('Reshape', [linear(x, `${p}.attention.self.${name}`, H, H), headsShape])], {
        perm: attr.ints(perm),
      });
    const q = split('query', [0, 2, 1, 3]);
    const kT = split('key', [0, 2, 3, 1]);
    const v = split('value', [0, 2, 1, 3]);
    const scores = g.node('Add', [g.node('Div', [g.node('MatMul', [q, kT]), scale]), extMask]);
    const probs = g.node('Softmax', [scores], { axis: attr.int(-1) });
    const context = g.node('Reshape', [
      g.node('Transpose', [g.node('MatMul', [probs, v])], { perm: attr.ints([0, 2, 1, 3]) }),
      mergedShape,
    ]);
    const attnOut = linear(context, `${p}.attention.output.dense`, H, H);
    x = layerNorm(g.node('Add', [attnOut, x]), `${p}.attention.output.LayerNorm`);
    const inter = gelu(linear(x, `${p}.intermediate.dense`, H, spec.intermediateSize));
    const ffnOut = linear(inter, `${p}.output.dense`, spec.intermediateSize, H);
    const last = l === spec.numLayers - 1 && spec.task === 'feature-extraction';
    x = layerNorm(g.node('Add', [ffnOut, x]), `${p}.output.LayerNorm`, last ? 'last_hidden_state' : undefined);
  }

  if (spec.task === 'feature-extraction') {
    if (spec.numLayers === 0) x = g.node('Identity', [x], {}, 'last_hidden_state');
    g.output('last_hidden_state', 'float32', ['batch_size', 'sequence_length', H]);
  } else if (spec.task === 'fill-mask') {
    const t = gelu(linear(x, 'cls.predictions.transform.dense', H, H));
    const tn = layerNorm(t, 'cls.predictions.transform.LayerNorm');
    let dec: string;
    if (spec.quantize) {
      // The quantised export stores the tied decoder as its own int8 [H, vocab] matrix: the word embeddings, transposed.
      const transposed = () => {
        const e = randomWeights('bert.embeddings.word_embeddings.weight', V * H);
        return Float32Array.from({ length: H * V }, (_, k) => e[(k % V) * H + Math.floor(k / V)]);
      };
      dec = matmul(tn, 'cls.predictions.decoder.weight', H, V, transposed);
    } else {
      const decoderWeight =
        spec.tieWordEmbeddings === false
          ? weight('cls.predictions.decoder.weight', [H, V])
          : g.node('Transpose', [wordEmbWeight], { perm: attr.ints([1, 0]) });
      dec = g.node('MatMul', [tn, decoderWeight]);
    }
    g.node('Add', [dec, bias('cls.predictions.bias', V)], {}, 'logits');
    g.output('logits', 'float32', ['batch_size', 'sequence_length', V]);
  } else {
    const labels = spec.numLabels ?? 2;
    const cls = g.node('Gather', [x, g.constInt64([0], [])], { axis: attr.int(1) });
    const gemm = (input: string, prefix: string, outDim: number, output?: string) =>
      g.node(
        'Gemm',
        [input, weight(`${prefix}.weight`, [outDim, H]), bias(`${prefix}.bias`, outDim)],
        { alpha: attr.float(1), beta: attr.float(1), transB: attr.int(1) },
        output,
      );
    const pooled = g.node('Tanh', [gemm(cls, 'bert.pooler.dense', H)]);
    gemm(pooled, 'classifier', labels, 'logits');
    g.output('logits', 'float32', ['batch_size', labels]);
  }
  return g;
}
