/**
 * The messages between the panel and the kernel helper (`jupyterlab_gradcam.comm`), as types.
 *
 * A request is flat JSON `{v: 1, id, method, ...fields}` plus binary buffers; its reply is
 * `{v: 1, id, ok: true, ...fields}` or `{v: 1, id, ok: false, error}`. A large reply comes as
 * several messages with the same id, each carrying every JSON field plus `chunk` and `chunks`
 * and the next slice of the binary payload; large uploads are chunked the same way. Before its
 * reply, a long request (a torch export in `get_model`) may send progress lines
 * `{v: 1, id, progress: null, message}`: no `ok`, not a reply (codec.ts `progressLineOf`).
 * DESIGN.md, "Tensors and models from the notebook", is the contract.
 */

/** The comm target that `import jupyterlab_gradcam` registers in an IPython kernel. */
export const TARGET_NAME = 'jupyterlab-gradcam';

/** The protocol version, the `v` field of every message. */
export const PROTOCOL_VERSION = 1;

/** What a request names: a kernel variable, or the model/image of an `explain()` call. */
export type Subject = { name: string } | { handle: string };

/** The dtypes tensors travel in (the helper widens others: int32 -> int64, float16 -> float32, ...). */
export type WireDType = 'float32' | 'float64' | 'uint8' | 'int64';

/** One explainable variable of the kernel, as `list` describes it. */
export interface IKernelVariable {
  /** The variable's name in the user's namespace. */
  name: string;
  /** What the panel can use it as. */
  kind: 'model' | 'tensor' | 'image';
  /** The Python type, e.g. `numpy.ndarray`, `torch.nn.modules.container.Sequential`. */
  type: string;
  /** The shape, for tensors and images (PIL images: HWC). */
  shape?: number[];
  /** The dtype, for tensors and images, numpy-style (`float32`). */
  dtype?: string;
  /** The file, for a str or path naming an .onnx file. */
  path?: string;
}

/** The fields of each method's request (besides `v`, `id`, `method`). */
export interface IRequestFields {
  ping: Record<string, never>;
  list: Record<string, never>;
  get_tensor: Subject;
  get_model: Subject & { input_shape?: number[] };
  put_result: { name: string; dtype: WireDType; shape: number[] };
  get_audit: { handle: string };
  get_images: { handle: string; start: number; count: number };
  put_audit: {
    name: string;
    report_bytes: number;
    maps: { dtype: 'float32'; shape: number[] };
  };
}

/** Where an array of a `get_audit` reply lies in its payload. */
export interface IPayloadArray {
  /** Always int64 (labels, boxes). */
  dtype: 'int64';
  /** The shape: `[N]` for labels, `[N, 4]` for boxes. */
  shape: number[];
  /** Its first byte in the reply's payload. */
  offset: number;
}

/** The fields of each method's successful reply (besides `v`, `id`, `ok`). */
export interface IReplyFields {
  ping: { version: string };
  list: { variables: IKernelVariable[] };
  get_tensor: { dtype: WireDType; shape: number[]; source_dtype?: string };
  get_model: { format: 'onnx'; bytes: number; sha256: string };
  put_result: { name: string; dtype: WireDType; shape: number[] };
  get_audit: {
    options: { [key: string]: unknown };
    labels: IPayloadArray | null;
    boxes: IPayloadArray | null;
  };
  get_images: {
    dtype: WireDType;
    shape: number[];
    layout: 'NHWC' | 'NCHW';
    start: number;
  };
  put_audit: { name: string; maps: { dtype: string; shape: number[] } };
}

/** A method the helper answers. */
export type Method = keyof IRequestFields;

/** A message to put on the comm: its JSON data and its buffers. */
export interface IOutgoingMessage {
  /** The flat JSON of the request (with `chunk`/`chunks` when it is one of several). */
  data: { [key: string]: unknown };
  /** Standalone ArrayBuffers: JupyterLab's serialiser sends a view's whole underlying buffer. */
  buffers: ArrayBuffer[];
}

/** A whole reply, reassembled from its messages. */
export interface IReply {
  /** The request's id. */
  id: string;
  /** Whether the request succeeded. */
  ok: boolean;
  /** Why it failed, when `ok` is false. */
  error?: string;
  /** The reply's JSON fields, without `v`, `id`, `ok`, `error`, `chunk`, `chunks`. */
  fields: { [key: string]: unknown };
  /** The binary payload: every buffer of every chunk, in order, as one byte array. */
  payload: Uint8Array;
}
