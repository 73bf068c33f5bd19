/**
 * An index of an ONNX model's graph built from the wire format: nodes and graph inputs/outputs are decoded,
 * initializers only to their name and dims (their data is skipped), so this is cheap even for 440 MB models.
 */
import type { onnx as onnxT } from 'onnx-proto';
import { onnx } from '../../synth/onnx/proto.js';
import { GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_NODE, GRAPH_OUTPUT, MODEL_GRAPH, TENSOR_DATA_TYPE, TENSOR_DIMS, TENSOR_NAME } from './fields.js';
import { wireFields, type WireField } from './protobuf-scan.js';


export interface GraphIndex {
  /** Where the graph field sits inside the model bytes. */
  graphField: WireField;
  nodes: onnxT.NodeProto[];
  /** Initializer (and Constant node) name → dims. */
  weights: Map<string, number[]>;
  /** Initializer name → TensorProto data_type. */
  weightTypes: Map<string, number>;
  inputs: string[];
  outputs: string[];
  /** Tensor name → the node that produces it. */
  producer: Map<string, onnxT.NodeProto>;
}

export function tensorHeader(buf: Uint8Array, start: number, end: number): { name: string; dims: number[]; dataType: number } {
  let name = '';
  const dims: number[] = [];
  let dataType = 0;
  for (const f of wireFields(buf, start, end)) {
    if (f.field === TENSOR_DIMS) {
      if (f.wireType === 0) dims.push(f.value!);
      else if (f.wireType === 2) {
        // packed repeated int64
        for (const d of wireFieldsPackedVarints(buf, f.dataStart, f.end)) dims.push(d);
      }
    } else if (f.field === TENSOR_DATA_TYPE && f.wireType === 0) {
      dataType = f.value!;
    } else if (f.field === TENSOR_NAME && f.wireType === 2) {
      name = Buffer.from(buf.buffer, buf.byteOffset + f.dataStart, f.end - f.dataStart).toString('utf8');
    }
  }
  return { name, dims, dataType };
}

function* wireFieldsPackedVarints(buf: Uint8Array, start: number, end: number): Generator<number> {
  let pos = start;
  while (pos < end) {
    let value = 0;
    let mul = 1;
    let b: number;
    do {
      b = buf[pos++];
      value += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    yield value;
  }
}

/** Throws WireFormatError/Error on bytes that are not an ONNX model with a graph. */
export function indexModel(bytes: Uint8Array): GraphIndex {
  let graphField: WireField | undefined;
  for (const f of wireFields(bytes)) {
    if (f.field === MODEL_GRAPH && f.wireType === 2) graphField = f;
  }
  if (!graphField) throw new Error('no graph in the model');
  const nodes: onnxT.NodeProto[] = [];
  const weights = new Map<string, number[]>();
  const weightTypes = new Map<string, number>();
  const inputs: string[] = [];
  const outputs: string[] = [];
  const sub = (f: WireField) => bytes.subarray(f.dataStart, f.end);
  for (const f of wireFields(bytes, graphField.dataStart, graphField.end)) {
    if (f.wireType !== 2) continue;
    if (f.field === GRAPH_NODE) nodes.push(onnx.NodeProto.decode(sub(f)));
    else if (f.field === GRAPH_INITIALIZER) {
      const t = tensorHeader(bytes, f.dataStart, f.end);
      weights.set(t.name, t.dims);
      weightTypes.set(t.name, t.dataType);
    } else if (f.field === GRAPH_INPUT) inputs.push(onnx.ValueInfoProto.decode(sub(f)).name);
    else if (f.field === GRAPH_OUTPUT) outputs.push(onnx.ValueInfoProto.decode(sub(f)).name);
  }
  const producer = new Map<string, onnxT.NodeProto>();
  for (const n of nodes) {
    for (const o of n.output) producer.set(o, n);
    if (n.opType === 'Constant') {
      const value = n.attribute.find((a) => a.name === 'value')?.t;
      if (value) {
        weights.set(n.output[0], (value.dims ?? []).map(Number));
        weightTypes.set(n.output[0], value.dataType ?? 0);
      }
    }
  }
  // Graph inputs that are also initializers are weights (IR < 4 style), not data.
  return { graphField, nodes, weights, weightTypes, inputs: inputs.filter((i) => !weights.has(i)), outputs, producer };
}
