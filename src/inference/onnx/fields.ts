/** Field numbers of onnx.proto messages, for the wire-format readers and writers of this folder. */
export const MODEL_GRAPH = 7;
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
export const GRAPH_OUTPUT = 12;
export const GRAPH_VALUE_INFO = 13;
export const TENSOR_DIMS = 1;
export const TENSOR_DATA_TYPE = 2;
export const TENSOR_NAME = 8;
/** AttributeProto.AttributeType values of attributes that hold sub-graphs. */
export const ATTRIBUTE_GRAPH = 5;
export const ATTRIBUTE_GRAPHS = 10;
