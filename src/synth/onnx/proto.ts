/**
 * The ONNX protobuf definitions (onnx-proto, a protobufjs static module) as an ES import.
 * onnx-proto is CommonJS; its namespace lives on the default export.
 */
import onnxProto from 'onnx-proto';

/** The runtime namespace (encoders/decoders). For the types, `import type { onnx as onnxT } from 'onnx-proto'`. */
export const onnx = onnxProto.onnx;

/** TensorProto.DataType values used here. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  FLOAT16: 10,
} as const;

export type ElemType = 'float32' | 'int64';

export function elemTypeCode(t: ElemType): number {
  return t === 'float32' ? DataType.FLOAT : DataType.INT64;
}
