/**
 * Graph surgery in memory: make an internal tensor of an ONNX model a graph output, so that one session run
 * returns it. Used where an export does not output the embedding the engine needs:
 *   - fill-mask BERT (Xenova/bert-base-uncased): the encoder's last hidden state, i.e. the data input of the MLM
 *     head's transform dense layer;
 *   - image classifiers (Xenova/resnet-152): the pooled, flattened features that feed the final classifier.
 *
 * Only nodes and value infos are decoded; initializers are skipped over, and the new output is spliced into the
 * graph bytes with fixed-up length prefixes (one copy of the model, no re-encoding of weights).
 */
import type { onnx as onnxT } from 'onnx-proto';
import { MemeguardError } from '../../errors.js';
import { onnx } from '../../synth/onnx/proto.js';
import { GRAPH_OUTPUT, MODEL_GRAPH } from './fields.js';
import { indexModel, type GraphIndex } from './graph-index.js';
import { encodeVarint, lengthDelimited } from './protobuf-scan.js';


export interface ExposedTensor {
  /** Model bytes with the tensor as an extra graph output (the input bytes when it already was one). */
  bytes: Uint8Array;
  /** The tensor's name: the key of the session's result. */
  tensor: string;
  /** Its last dimension (H for text, F for image features). */
  width: number;
  alreadyOutput: boolean;
}

/** Ops that multiply data by a weight matrix, and where their data and weight inputs are. */
const MATMUL_OPS: Record<string, { data: number; weight: number }> = {
  MatMul: { data: 0, weight: 1 },
  Gemm: { data: 0, weight: 1 },
  FusedMatMul: { data: 0, weight: 1 },
  MatMulInteger: { data: 0, weight: 1 },
  MatMulIntegerToFloat: { data: 0, weight: 1 },
  DynamicQuantizeMatMul: { data: 0, weight: 1 },
  QLinearMatMul: { data: 0, weight: 3 },
  MatMulNBits: { data: 0, weight: 1 },
};

/** Ops a weight passes through on its way to a matmul (fp16 casts, QDQ dequantisation, transposes). */
const WEIGHT_PASS = new Set(['Cast', 'Identity', 'DequantizeLinear', 'Transpose']);
/** Ops that quantise data right before an integer matmul: the float tensor is their first input. */
const QUANTIZE_OPS = new Set(['DynamicQuantizeLinear', 'QuantizeLinear', 'DequantizeLinear']);

function intAttr(node: onnxT.NodeProto, name: string): number | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a ? Number(a.i) : undefined;
}

/** Dims of a weight tensor, following it through casts/dequantisation/transposes; undefined for data. */
function weightDims(g: GraphIndex, name: string, depth = 0): number[] | undefined {
  const direct = g.weights.get(name);
  if (direct) return direct;
  const p = g.producer.get(name);
  if (!p || depth > 4 || !WEIGHT_PASS.has(p.opType)) return undefined;
  const inner = weightDims(g, p.input[0], depth + 1);
  if (!inner || p.opType !== 'Transpose') return inner;
  const perm = p.attribute.find((a) => a.name === 'perm')?.ints?.map(Number) ?? inner.map((_, i) => inner.length - 1 - i);
  return perm.map((i) => inner[i]);
}

/** A matmul-like node's data input and its weight as [in, out], or null when it is not one with a weight. */
function matmulOperands(g: GraphIndex, node: onnxT.NodeProto): { data: string; inOut: [number, number] } | null {
  const where = MATMUL_OPS[node.opType];
  if (!where) return null;
  const data = node.input[where.data];
  if (node.opType === 'MatMulNBits') {
    const K = intAttr(node, 'K');
    const N = intAttr(node, 'N');
    return K && N ? { data, inOut: [K, N] } : null;
  }
  const dims = weightDims(g, node.input[where.weight]);
  if (!dims || dims.length !== 2 || weightDims(g, data)) return null;
  let [k, n] = dims;
  if (node.opType === 'Gemm' && intAttr(node, 'transB') === 1) [k, n] = [n, k];
  if (node.opType === 'FusedMatMul' && intAttr(node, 'transB') === 1) [k, n] = [n, k];
  return { data, inOut: [k, n] };
}

/** The float tensor behind a quantised one (DynamicQuantizeLinear(x) → x). */
function floatSource(g: GraphIndex, name: string): string {
  let current = name;
  for (let i = 0; i < 4; i++) {
    const p = g.producer.get(current);
    if (!p || !QUANTIZE_OPS.has(p.opType) || weightDims(g, p.input[0])) break;
    current = p.input[0];
  }
  return current;
}

/** Breadth-first walk back from `from` (nearest first) to the first matmul-like node that satisfies `match`. */
function findMatmulBackwards(
  g: GraphIndex,
  from: string,
  match: (inOut: [number, number]) => boolean,
): { node: onnxT.NodeProto; data: string; inOut: [number, number] } | null {
  const queue = [from];
  const seen = new Set<string>(queue);
  while (queue.length > 0) {
    const name = queue.shift()!;
    const node = g.producer.get(name);
    if (!node) continue;
    const mm = matmulOperands(g, node);
    if (mm && match(mm.inOut)) return { node, ...mm };
    for (const input of node.input) {
      if (input && !seen.has(input) && !g.weights.has(input)) {
        seen.add(input);
        queue.push(input);
      }
    }
  }
  return null;
}

/**
 * Append graph outputs (by name; onnxruntime infers their types) to the model bytes.
 *
 * With `inPlace`, the caller hands over `bytes` and, when its ArrayBuffer has room past the end (see
 * readModelBytes' slack), the splice moves bytes within that buffer instead of copying the whole model: a 440 MB
 * model then costs no second 440 MB. Otherwise a new buffer is returned and `bytes` is untouched.
 */
export function addGraphOutputs(
  bytes: Uint8Array,
  names: string[],
  index: GraphIndex = indexModel(bytes),
  opts: { inPlace?: boolean } = {},
): Uint8Array {
  const fresh = names.filter((n) => !index.outputs.includes(n));
  if (fresh.length === 0) return bytes;
  const extra = Buffer.concat(fresh.flatMap((name) => lengthDelimited(GRAPH_OUTPUT, onnx.ValueInfoProto.encode({ name }).finish())));
  const gf = index.graphField;
  const tag = encodeVarint(MODEL_GRAPH * 8 + 2);
  const oldPrefix = gf.dataStart - gf.start; // tag + old length varint
  const newLenVarint = encodeVarint(gf.end - gf.dataStart + extra.length);
  const newPrefix = tag.length + newLenVarint.length;
  const shift = newPrefix - oldPrefix; // the graph payload moves by this much
  const total = bytes.length + shift + extra.length;

  const capacity = bytes.buffer.byteLength - bytes.byteOffset;
  if (opts.inPlace && capacity >= total && shift >= 0) {
    const out = new Uint8Array(bytes.buffer, bytes.byteOffset, total);
    // Right to left, so that nothing is overwritten before it has moved (copyWithin is a memmove).
    out.copyWithin(gf.end + shift + extra.length, gf.end, bytes.length);
    if (shift > 0) out.copyWithin(gf.dataStart + shift, gf.dataStart, gf.end);
    out.set(tag, gf.start);
    out.set(newLenVarint, gf.start + tag.length);
    out.set(extra, gf.end + shift);
    return out;
  }
  return Buffer.concat([
    bytes.subarray(0, gf.start),
    tag,
    newLenVarint,
    bytes.subarray(gf.dataStart, gf.end),
    extra,
    bytes.subarray(gf.end),
  ]);
}

function readIndex(bytes: Uint8Array, file: string): GraphIndex {
  try {
    return indexModel(bytes);
  } catch (e) {
    throw new MemeguardError('MODEL_INVALID', `${file} is not a readable ONNX model: ${(e as Error).message}`, {
      hint: 'fetch the model again with `memeguard models pull`',
      cause: e,
    });
  }
}

function logitsName(g: GraphIndex): string {
  return g.outputs.includes('logits') ? 'logits' : g.outputs[0];
}

/**
 * Fill-mask BERT → its encoder's last hidden state (width = config.json hidden_size). Walks back from `logits` to
 * the decoder (weight [H, vocab]) and then to the transform dense (weight [H, H]); its data input is the state.
 */
export function exposeTextHidden(
  bytes: Uint8Array,
  opts: { hiddenSize: number; vocabSize?: number; file: string; inPlace?: boolean },
): ExposedTensor {
  const g = readIndex(bytes, opts.file);
  const H = opts.hiddenSize;
  const refuse = (why: string) =>
    new MemeguardError('MODEL_INVALID', `${opts.file}: no hidden state of width ${H} (config.json hidden_size) found: ${why}`, {
      hint: 'use a feature-extraction or fill-mask BERT export, or fetch the pack again with `memeguard models pull`',
    });
  const out = logitsName(g);
  if (!out) throw refuse('the graph has no outputs');
  const decoder = findMatmulBackwards(g, out, ([k, n]) => k === H && (opts.vocabSize ? n === opts.vocabSize : n > H));
  if (!decoder) throw refuse(`no MLM decoder with a [${H}, vocab] weight in front of ${out}`);
  const transform = findMatmulBackwards(g, decoder.data, ([k, n]) => k === H && n === H);
  if (!transform) throw refuse(`no [${H}, ${H}] transform dense layer in front of the decoder`);
  const tensor = floatSource(g, transform.data);
  const alreadyOutput = g.outputs.includes(tensor);
  return { bytes: alreadyOutput ? bytes : addGraphOutputs(bytes, [tensor], g, opts), tensor, width: H, alreadyOutput };
}

/**
 * Image classifier → the features that feed its final classifier layer (flattened pooled features; width 2048
 * for ResNet-152). Walks back from `logits` to the first Gemm/MatMul and exposes its data input.
 */
export function exposeImageFeatures(
  bytes: Uint8Array,
  opts: { file: string; featureSize?: number; inPlace?: boolean },
): ExposedTensor {
  const g = readIndex(bytes, opts.file);
  const out = logitsName(g);
  const found = out ? findMatmulBackwards(g, out, () => true) : null;
  if (!found) {
    throw new MemeguardError('MODEL_INVALID', `${opts.file}: no classifier layer (Gemm/MatMul with a weight) in front of the logits`, {
      hint: 'use an image-classification export such as Xenova/resnet-152 (`memeguard models pull`)',
    });
  }
  const width = found.inOut[0];
  if (opts.featureSize !== undefined && width !== opts.featureSize) {
    throw new MemeguardError(
      'MODEL_INVALID',
      `${opts.file}: the classifier takes ${width} features, config.json says ${opts.featureSize}`,
      { hint: 'the model and its config.json do not match; fetch the pack again with `memeguard models pull`' },
    );
  }
  const tensor = floatSource(g, found.data);
  const alreadyOutput = g.outputs.includes(tensor);
  return { bytes: alreadyOutput ? bytes : addGraphOutputs(bytes, [tensor], g, opts), tensor, width, alreadyOutput };
}
