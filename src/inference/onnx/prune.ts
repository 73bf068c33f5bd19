/**
 * Keep only what some graph outputs need. ONNX Runtime runs every node of a graph whether its result is fetched or
 * not, so a fill-mask BERT whose hidden state we expose would still compute its 768×30522 vocabulary projection on
 * every call (≈ 20% of BERT-base's time, docs/PERFORMANCE.md). This drops the other outputs, the nodes and
 * initializers only they need, and their value_info, working on the wire format: weights are moved, never decoded.
 */
import { onnx } from '../../synth/onnx/proto.js';
import {
  ATTRIBUTE_GRAPH,
  ATTRIBUTE_GRAPHS,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_VALUE_INFO,
  MODEL_GRAPH,
} from './fields.js';
import { indexModel, tensorHeader } from './graph-index.js';
import { encodeVarint, wireFields, type WireField } from './protobuf-scan.js';


export interface PruneResult {
  bytes: Uint8Array;
  removedNodes: number;
  removedInitializers: number;
  /** Why nothing was removed, when so (e.g. the graph has sub-graphs whose outer-scope names we do not trace). */
  skipped?: string;
}

/**
 * The model with only `keep` as graph outputs and only the nodes/initializers they depend on. Graph inputs stay
 * (callers feed them as before), except those that only declared a removed initializer (IR < 4 style).
 * With `inPlace`, `bytes` is rewritten in its own buffer (the result is a view of it): no second copy of the weights.
 */
export function pruneToOutputs(bytes: Uint8Array, keep: readonly string[], opts: { inPlace?: boolean } = {}): PruneResult {
  const g = indexModel(bytes);
  const missing = keep.filter((k) => !g.producer.has(k) && !g.inputs.includes(k) && !g.weights.has(k));
  if (missing.length > 0) throw new Error(`cannot keep ${missing.join(', ')}: no such tensor in the graph`);
  const hasSubgraphs = g.nodes.some((n) => n.attribute.some((a) => a.type === ATTRIBUTE_GRAPH || a.type === ATTRIBUTE_GRAPHS));
  if (hasSubgraphs) return { bytes, removedNodes: 0, removedInitializers: 0, skipped: 'the graph has sub-graphs' };

  // Walk back from the kept outputs: the tensors they need and the nodes that make them.
  const producerIndex = new Map<string, number>();
  g.nodes.forEach((n, i) => n.output.forEach((o) => o && producerIndex.set(o, i)));
  const needed = new Set<string>(keep);
  const keptNodes = new Set<number>();
  const stack = [...keep];
  while (stack.length > 0) {
    const i = producerIndex.get(stack.pop()!);
    if (i === undefined || keptNodes.has(i)) continue;
    keptNodes.add(i);
    for (const input of g.nodes[i].input) {
      if (input && !needed.has(input)) {
        needed.add(input);
        stack.push(input);
      }
    }
  }

  const gf = g.graphField;
  const keepField: WireField[] = [];
  let nodeIndex = 0;
  let removedNodes = 0;
  let removedInitializers = 0;
  const removedWeights = new Set<string>();
  const fields = [...wireFields(bytes, gf.dataStart, gf.end)];
  for (const f of fields) {
    if (f.wireType === 2 && f.field === GRAPH_INITIALIZER) {
      const { name } = tensorHeader(bytes, f.dataStart, f.end);
      if (!needed.has(name)) removedWeights.add(name);
    }
  }
  const name = (f: WireField) => onnx.ValueInfoProto.decode(bytes.subarray(f.dataStart, f.end)).name;
  for (const f of fields) {
    let keepIt = true;
    if (f.wireType === 2) {
      if (f.field === GRAPH_NODE) {
        keepIt = keptNodes.has(nodeIndex++);
        if (!keepIt) removedNodes++;
      } else if (f.field === GRAPH_INITIALIZER) {
        keepIt = !removedWeights.has(tensorHeader(bytes, f.dataStart, f.end).name);
        if (!keepIt) removedInitializers++;
      } else if (f.field === GRAPH_OUTPUT) keepIt = keep.includes(name(f));
      else if (f.field === GRAPH_INPUT) keepIt = !removedWeights.has(name(f));
      else if (f.field === GRAPH_VALUE_INFO) keepIt = needed.has(name(f));
    }
    if (keepIt) keepField.push(f);
  }
  if (removedNodes === 0 && removedInitializers === 0 && keepField.length === fields.length) {
    return { bytes, removedNodes, removedInitializers };
  }

  const graphLength = keepField.reduce((sum, f) => sum + (f.end - f.start), 0);
  const prefix = [...encodeVarint(MODEL_GRAPH * 8 + 2), ...encodeVarint(graphLength)];
  if (!opts.inPlace) {
    const parts: Uint8Array[] = [bytes.subarray(0, gf.start), Uint8Array.from(prefix)];
    for (const f of keepField) parts.push(bytes.subarray(f.start, f.end));
    parts.push(bytes.subarray(gf.end));
    return { bytes: Buffer.concat(parts), removedNodes, removedInitializers };
  }
  // Everything only moves left (the graph shrinks, so its length prefix cannot grow): copyWithin is safe in order.
  let w = gf.start;
  bytes.set(prefix, w);
  w += prefix.length;
  for (const f of keepField) {
    bytes.copyWithin(w, f.start, f.end);
    w += f.end - f.start;
  }
  bytes.copyWithin(w, gf.end, bytes.length);
  w += bytes.length - gf.end;
  return { bytes: bytes.subarray(0, w), removedNodes, removedInitializers };
}
