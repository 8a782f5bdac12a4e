/**
 * ONNX ModelProto read and written with protobufjs reflection over the onnx.proto that the onnx
 * Python package ships (see scripts/make_onnx_proto_json.js). Messages are edited as plain objects.
 */
import * as protobuf from 'protobufjs/light';
import descriptor from './onnx.proto.json';

// int64 fields (dims, opset versions, int attributes) decode as JS numbers rather than Long objects:
// every int64 in a CNN graph fits in 2^53.
(protobuf.util as { Long?: unknown }).Long = undefined;
protobuf.configure();

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
const ModelType = root.lookupType('onnx.ModelProto');

/** TensorProto.DataType values the engine uses. */
export enum DataType {
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11
}

/** AttributeProto.AttributeType values. */
export enum AttributeType {
  FLOAT = 1,
  INT = 2,
  STRING = 3,
  TENSOR = 4,
  GRAPH = 5,
  FLOATS = 6,
  INTS = 7,
  STRINGS = 8
}

export interface StringStringEntry {
  key: string;
  value: string;
}

export interface TensorProto {
  name?: string;
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  rawData?: Uint8Array;
  dataLocation?: number;
  externalData?: StringStringEntry[];
}

export interface AttributeProto {
  name: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}

export interface NodeProto {
  name?: string;
  opType: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute?: AttributeProto[];
}

export interface Dimension {
  dimValue?: number;
  dimParam?: string;
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: { dim?: Dimension[] } };
}

export interface ValueInfoProto {
  name: string;
  type?: TypeProto;
}

export interface GraphProto {
  name?: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
}

export interface OperatorSetId {
  domain?: string;
  version: number;
}

export interface ModelProto {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  /** Free-form key/value pairs (the explain graph records its model, method and layers). */
  metadataProps?: StringStringEntry[];
  graph: GraphProto;
  opsetImport: OperatorSetId[];
}

/** Raised for bytes that are not a usable ONNX model. */
export class ModelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFormatError';
  }
}

/**
 * Decodes ONNX bytes. Tensors stored as external data are filled from `externalData`
 * (file name -> bytes, as PyTorch's exporter writes `model.onnx.data`).
 */
export function decodeModel(
  bytes: Uint8Array,
  externalData: Record<string, Uint8Array> = {}
): ModelProto {
  let model: ModelProto;
  try {
    const message = ModelType.decode(bytes);
    model = ModelType.toObject(message, {
      arrays: true,
      defaults: false
    }) as ModelProto;
  } catch (error) {
    throw new ModelFormatError(
      `not an ONNX model: protobuf decoding failed (${(error as Error).message})`
    );
  }
  if (!model.graph || !model.graph.node || model.graph.node.length === 0) {
    throw new ModelFormatError('not an ONNX model: it has no graph nodes');
  }
  const graph = model.graph;
  graph.initializer = graph.initializer ?? [];
  graph.input = graph.input ?? [];
  graph.output = graph.output ?? [];
  model.opsetImport = model.opsetImport ?? [];
  for (const node of graph.node) {
    node.input = node.input ?? [];
    node.output = node.output ?? [];
  }
  for (const tensor of graph.initializer) {
    inlineExternalData(tensor, externalData);
  }
  // onnx >= 1.23 writes IR 14, which onnxruntime-web 1.30 refuses ("max supported IR version: 13");
  // nothing a CNN graph uses changed between them, so the model is read as the newest IR ORT knows.
  if ((model.irVersion ?? 0) > MAX_RUNTIME_IR) {
    model.irVersion = MAX_RUNTIME_IR;
  }
  return model;
}

/** Encodes a (possibly edited) model back to ONNX bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  return ModelType.encode(ModelType.fromObject(model)).finish();
}

/** The version of the default (ai.onnx) opset the model imports. */
export function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport.find(
    o => !o.domain || o.domain === 'ai.onnx'
  );
  if (!entry) {
    throw new ModelFormatError('the model imports no ai.onnx opset');
  }
  return entry.version;
}

const EXTERNAL = 1;

/** The newest IR version onnxruntime-web (1.30) loads. */
const MAX_RUNTIME_IR = 13;

function inlineExternalData(
  tensor: TensorProto,
  externalData: Record<string, Uint8Array>
): void {
  if (tensor.dataLocation !== EXTERNAL) {
    return;
  }
  const info = Object.fromEntries(
    (tensor.externalData ?? []).map(e => [e.key, e.value])
  );
  const file = externalData[info.location];
  if (!file) {
    throw new ModelFormatError(
      `initializer '${tensor.name}' is stored in external file '${info.location}', which was not given`
    );
  }
  const offset = Number(info.offset ?? 0);
  const length =
    info.length !== undefined ? Number(info.length) : file.length - offset;
  if (offset + length > file.length) {
    throw new ModelFormatError(
      `initializer '${tensor.name}' reads bytes ${offset}..${offset + length} of '${info.location}', which has ${file.length}`
    );
  }
  tensor.rawData = file.slice(offset, offset + length);
  delete tensor.dataLocation;
  delete tensor.externalData;
}
