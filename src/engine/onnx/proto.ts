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
  /** Free-form key/value pairs (torch's dynamo exporter records each node's module path here). */
  metadataProps?: StringStringEntry[];
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
  const model = readModel(bytes);
  inlineExternalData(model, externalData);
  return model;
}

/** Fills the model's external-data initializers from `externalData` (location -> bytes). */
export function inlineExternalData(
  model: ModelProto,
  externalData: Record<string, Uint8Array>
): void {
  for (const tensor of model.graph.initializer) {
    inlineTensor(tensor, externalData);
  }
}

/** Decodes ONNX bytes, leaving external data where it is (see `externalDataFiles`). */
export function readModel(bytes: Uint8Array): ModelProto {
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
  // onnx >= 1.23 writes IR 14, which onnxruntime-web 1.30 refuses ("max supported IR version: 13");
  // nothing a CNN graph uses changed between them, so the model is read as the newest IR ORT knows.
  if ((model.irVersion ?? 0) > MAX_RUNTIME_IR) {
    model.irVersion = MAX_RUNTIME_IR;
  }
  return model;
}

/** One external data file a model names, and how much of it its tensors read. */
export interface ExternalDataFile {
  /** The `location` entry, as written (relative to the model's folder). */
  location: string;
  /** The first initializer stored there (for messages). */
  tensor: string;
  /** Bytes [0, end) hold every range its tensors name; undefined when one reads to the file's end. */
  end?: number;
}

/**
 * The files that the initializers' external-data entries name: the only files a model may read
 * beside it (never files whose names merely occur somewhere in its bytes).
 */
export function externalDataFiles(model: ModelProto): ExternalDataFile[] {
  const files = new Map<string, ExternalDataFile>();
  for (const tensor of model.graph.initializer) {
    if (tensor.dataLocation !== EXTERNAL) {
      continue;
    }
    const { location, offset, length } = externalEntry(tensor);
    const file = files.get(location) ?? {
      location,
      tensor: tensor.name ?? '',
      end: 0
    };
    file.end =
      length === undefined || file.end === undefined
        ? undefined
        : Math.max(file.end, offset + length);
    files.set(location, file);
  }
  return [...files.values()];
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

function inlineTensor(
  tensor: TensorProto,
  externalData: Record<string, Uint8Array>
): void {
  if (tensor.dataLocation !== EXTERNAL) {
    return;
  }
  const { location, offset, length: given } = externalEntry(tensor);
  const file = externalData[location];
  if (!file) {
    throw new ModelFormatError(
      `initializer '${tensor.name}' is stored in external file '${location}', which was not given`
    );
  }
  const length = given ?? file.length - offset;
  if (offset + length > file.length) {
    throw new ModelFormatError(
      `initializer '${tensor.name}' reads bytes ${offset}..${offset + length} of '${location}', which has ${file.length}`
    );
  }
  tensor.rawData = file.slice(offset, offset + length);
  delete tensor.dataLocation;
  delete tensor.externalData;
}

/** A tensor's external-data entry, checked: a location, and whole non-negative byte counts. */
function externalEntry(tensor: TensorProto): {
  location: string;
  offset: number;
  length?: number;
} {
  const info = new Map(
    (tensor.externalData ?? []).map(e => [e.key, e.value] as const)
  );
  const location = info.get('location');
  if (!location) {
    throw new ModelFormatError(
      `initializer '${tensor.name}' is marked as external data but names no file (no 'location' entry)`
    );
  }
  const count = (key: string): number | undefined => {
    const text = info.get(key);
    if (text === undefined) {
      return undefined;
    }
    if (!/^\d{1,15}$/.test(text)) {
      throw new ModelFormatError(
        `initializer '${tensor.name}' has external-data ${key} '${text}'; it must be a whole number of bytes`
      );
    }
    return Number(text);
  };
  return { location, offset: count('offset') ?? 0, length: count('length') };
}
