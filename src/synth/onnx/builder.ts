/**
 * A small typed ONNX graph builder: inputs/outputs with dynamic axes, initializers, nodes, and a serializer that
 * writes initializers as raw_data straight from their typed arrays (streamed to disk for large models), so a
 * 440 MB BERT-base never has to exist as protobufjs objects.
 */
import { open } from 'node:fs/promises';
import os from 'node:os';
import type { onnx as onnxT } from 'onnx-proto';
import { onnx, DataType, elemTypeBytes, elemTypeCode, type ElemType } from './proto.js';
import { encodeVarint } from '../../inference/onnx/protobuf-scan.js';

/** A dimension: a fixed size, or a name for a dynamic axis ("batch", "sequence"). */
export type Dim = number | string;

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string };

export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  ints: (value: number[]): AttrValue => ({ kind: 'ints', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  floats: (value: number[]): AttrValue => ({ kind: 'floats', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
};

/** Tensor data: given now, or made on demand when the model is written (keeps peak memory at one tensor). */
export type TypedData = Float32Array | BigInt64Array | Int8Array | Uint8Array;
export type TensorData = TypedData | (() => TypedData);

export interface Initializer {
  name: string;
  dims: number[];
  elemType: ElemType;
  data: TensorData;
}

export interface BuilderOptions {
  graphName?: string;
  opset?: number;
  irVersion?: number;
  producer?: string;
}

function toAttributeProto(name: string, a: AttrValue): onnxT.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'string':
      return { name, type: T.STRING, s: Buffer.from(a.value, 'utf8') };
  }
}

export function valueInfo(name: string, elemType: ElemType, dims: Dim[]): onnxT.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: elemTypeCode(elemType),
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function numel(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function rawBytes(t: Initializer): Uint8Array {
  const data = typeof t.data === 'function' ? t.data() : t.data;
  const expected = numel(t.dims);
  if (data.length !== expected) {
    throw new Error(`initializer ${t.name}: ${data.length} values for dims [${t.dims}] (${expected})`);
  }
  const matches =
    (t.elemType === 'float32' && data instanceof Float32Array) ||
    (t.elemType === 'int64' && data instanceof BigInt64Array) ||
    (t.elemType === 'int8' && data instanceof Int8Array) ||
    (t.elemType === 'uint8' && data instanceof Uint8Array);
  if (!matches) {
    throw new Error(`initializer ${t.name}: data does not match element type ${t.elemType}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Protobuf varint of a non-negative integer (lengths up to 2^53): the same encoder the graph surgery uses. */
export const varint = encodeVarint;

/** Tag byte(s) of a length-delimited field. */
export function lengthDelimitedTag(field: number): Uint8Array {
  return varint((field << 3) | 2);
}

const GRAPH_FIELD = 7; // ModelProto.graph
const GRAPH_INITIALIZER_FIELD = 5; // GraphProto.initializer
const TENSOR_RAW_DATA_FIELD = 9; // TensorProto.raw_data

export class GraphBuilder {
  readonly opset: number;
  private readonly nodes: onnxT.INodeProto[] = [];
  private readonly inits: Initializer[] = [];
  private readonly inputs: onnxT.IValueInfoProto[] = [];
  private readonly outputs: onnxT.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(private readonly options: BuilderOptions = {}) {
    if (os.endianness() !== 'LE') throw new Error('the ONNX writer needs a little-endian machine');
    this.opset = options.opset ?? 14;
  }

  /** A fresh tensor name with a readable prefix. */
  fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`tensor name ${name} is used twice`);
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: ElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), elemType, dims));
    return name;
  }

  /** Declare an existing tensor as a graph output. */
  output(name: string, elemType: ElemType, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  initializer(name: string, dims: number[], data: TensorData, elemType: ElemType = 'float32'): string {
    this.inits.push({ name: this.claim(name), dims, elemType, data });
    return name;
  }

  /** A small float constant (as an initializer, the way exporters store them). */
  constFloat(values: number[], dims: number[] = values.length === 1 ? [] : [values.length]): string {
    return this.initializer(this.fresh('const_f'), dims, Float32Array.from(values));
  }

  constInt64(values: number[], dims: number[] = [values.length]): string {
    return this.initializer(this.fresh('const_i'), dims, BigInt64Array.from(values.map((v) => BigInt(v))), 'int64');
  }

  /** Add a node; returns its output names (fresh unless given). */
  nodeN(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    opts: { outputs?: number | string[]; name?: string; domain?: string } = {},
  ): string[] {
    const outs =
      typeof opts.outputs === 'object'
        ? opts.outputs.map((o) => this.claim(o))
        : Array.from({ length: opts.outputs ?? 1 }, () => this.claim(this.fresh(opType.toLowerCase())));
    this.nodes.push({
      opType,
      name: opts.name ?? this.fresh(`${opType}_node`),
      input: inputs,
      output: outs,
      domain: opts.domain ?? '',
      attribute: Object.entries(attrs).map(([k, v]) => toAttributeProto(k, v)),
    });
    return outs;
  }

  /** Add a node with one output; returns its name. */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.nodeN(opType, inputs, attrs, output ? { outputs: [output] } : {})[0];
  }

  get initializers(): readonly Initializer[] {
    return this.inits;
  }

  /**
   * The model as a list of byte chunks in file order. Initializer payloads are produced lazily by the iterator,
   * so writing a model keeps at most one large tensor in memory.
   */
  *chunks(): Generator<Uint8Array> {
    const graphHead = onnx.GraphProto.encode({
      name: this.options.graphName ?? 'main_graph',
      node: this.nodes,
      input: this.inputs,
      output: this.outputs,
    }).finish();
    // Lengths first (they need only the dims), payloads later.
    const initHeads = this.inits.map((t) =>
      onnx.TensorProto.encode({ name: t.name, dims: t.dims, dataType: elemTypeCode(t.elemType) }).finish(),
    );
    const payloadBytes = this.inits.map((t) => numel(t.dims) * elemTypeBytes(t.elemType));
    const initEntryLen = (i: number) => {
      const raw = payloadBytes[i];
      const tensorLen = initHeads[i].length + lengthDelimitedTag(TENSOR_RAW_DATA_FIELD).length + varint(raw).length + raw;
      return { tensorLen, entryLen: lengthDelimitedTag(GRAPH_INITIALIZER_FIELD).length + varint(tensorLen).length + tensorLen };
    };
    let graphLen = graphHead.length;
    for (let i = 0; i < this.inits.length; i++) graphLen += initEntryLen(i).entryLen;

    const modelHead = onnx.ModelProto.encode({
      irVersion: this.options.irVersion ?? 8,
      producerName: this.options.producer ?? 'memeguard-synth',
      producerVersion: '1',
      opsetImport: [{ domain: '', version: this.opset }],
    }).finish();
    yield modelHead;
    yield concatBytes([lengthDelimitedTag(GRAPH_FIELD), varint(graphLen)]);
    yield graphHead;
    for (let i = 0; i < this.inits.length; i++) {
      const { tensorLen } = initEntryLen(i);
      const raw = rawBytes(this.inits[i]);
      yield concatBytes([
        lengthDelimitedTag(GRAPH_INITIALIZER_FIELD),
        varint(tensorLen),
        initHeads[i],
        lengthDelimitedTag(TENSOR_RAW_DATA_FIELD),
        varint(raw.length),
      ]);
      yield raw;
    }
  }

  /** The whole model in one Buffer (tests, small models). */
  toBuffer(): Buffer {
    return Buffer.concat([...this.chunks()]);
  }

  /** Stream the model to a file. */
  async writeFile(file: string): Promise<number> {
    const fh = await open(file, 'w');
    let written = 0;
    try {
      for (const chunk of this.chunks()) {
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
          off += bytesWritten;
        }
        written += chunk.length;
      }
    } finally {
      await fh.close();
    }
    return written;
  }
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** Decode a whole model (small models and tests only: this materialises every initializer). */
export function decodeModel(bytes: Uint8Array): onnxT.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

/** A decoded float/int64 initializer's values (raw_data or the typed repeated fields). */
export function tensorValues(t: onnxT.ITensorProto): Float32Array | BigInt64Array {
  const n = numel((t.dims ?? []).map(Number));
  if (t.rawData && t.rawData.length > 0) {
    const copy = Uint8Array.from(t.rawData);
    if (t.dataType === DataType.FLOAT) return new Float32Array(copy.buffer, 0, n);
    if (t.dataType === DataType.INT64) return new BigInt64Array(copy.buffer, 0, n);
  } else if (t.dataType === DataType.FLOAT) {
    return Float32Array.from(t.floatData ?? []);
  } else if (t.dataType === DataType.INT64) {
    return BigInt64Array.from((t.int64Data ?? []).map((v: number | { toString(): string }) => BigInt(v.toString())));
  }
  throw new Error(`tensor ${t.name}: unsupported data type ${t.dataType}`);
}
