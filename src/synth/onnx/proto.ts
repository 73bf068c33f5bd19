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

export type ElemType = 'float32' | 'int64' | 'int8' | 'uint8';

const CODES: Record<ElemType, number> = { float32: DataType.FLOAT, int64: DataType.INT64, int8: DataType.INT8, uint8: DataType.UINT8 };
const BYTES: Record<ElemType, number> = { float32: 4, int64: 8, int8: 1, uint8: 1 };

export function elemTypeCode(t: ElemType): number {
  return CODES[t];
}

export function elemTypeBytes(t: ElemType): number {
  return BYTES[t];
}
