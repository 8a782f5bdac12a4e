/**
 * Requests to bytes-and-JSON messages, and messages back to whole replies and typed arrays.
 * Pure: no JupyterLab, no kernel; the client puts these messages on a comm.
 */
import {
  IOutgoingMessage,
  IReply,
  Method,
  PROTOCOL_VERSION,
  WireDType
} from './protocol';

/**
 * The most payload bytes one browser-to-kernel message carries. Jupyter server refuses websocket
 * messages over 10 MiB (Tornado's default), and the JSON and the headers need room beside it.
 */
export const UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024;

/** A message that breaks the protocol (not a refused request: those are replies with `ok: false`). */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * The messages of one request: one message, or, when the payload is larger than `chunkBytes`,
 * one per slice of it, each with every field plus `chunk` and `chunks`.
 */
export function encodeRequest(
  id: string,
  method: Method,
  fields: { [key: string]: unknown },
  payload?: Uint8Array,
  chunkBytes: number = UPLOAD_CHUNK_BYTES
): IOutgoingMessage[] {
  const data = { v: PROTOCOL_VERSION, id, method, ...fields };
  if (payload === undefined) {
    return [{ data, buffers: [] }];
  }
  if (payload.byteLength <= chunkBytes) {
    return [{ data, buffers: [standalone(payload)] }];
  }
  const chunks = Math.ceil(payload.byteLength / chunkBytes);
  const messages: IOutgoingMessage[] = [];
  for (let chunk = 0; chunk < chunks; chunk++) {
    const slice = payload.subarray(
      chunk * chunkBytes,
      (chunk + 1) * chunkBytes
    );
    messages.push({
      data: { ...data, chunk, chunks },
      buffers: [standalone(slice)]
    });
  }
  return messages;
}

/** What one incoming message did: completed a reply, or added a chunk to one. */
export type AssemblyStep =
  | { state: 'complete'; reply: IReply }
  | { state: 'partial'; id: string; received: number; chunks: number };

/**
 * A progress line the kernel sends before the reply of a long request (a torch export):
 * `{v, id, progress: null | fraction, message}` with no `ok`; null for any other message.
 */
export function progressLineOf(
  data: unknown
): { id: string; message: string } | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return null;
  }
  const { id, ok, progress, message } = data as { [key: string]: unknown };
  if (ok !== undefined || progress === undefined || typeof id !== 'string') {
    return null;
  }
  return { id, message: typeof message === 'string' ? message : '' };
}

/** Reassembles replies from their messages, by id; chunks may arrive in any order. */
export class ReplyAssembler {
  /** Take one message's data and buffers. */
  add(
    data: unknown,
    buffers: readonly (ArrayBuffer | ArrayBufferView)[]
  ): AssemblyStep {
    const head = checkReplyHead(data);
    const pieces = buffers.map(bytesOf);
    if (head.chunks === undefined) {
      return { state: 'complete', reply: makeReply(head, [pieces]) };
    }
    let partial = this._partial.get(head.id);
    if (partial === undefined) {
      partial = { chunks: head.chunks, parts: new Map() };
      this._partial.set(head.id, partial);
    }
    if (partial.chunks !== head.chunks) {
      this._partial.delete(head.id);
      throw new ProtocolError(
        `reply ${head.id}: chunk ${head.chunk} says ${head.chunks} chunks, an earlier one said ${partial.chunks}`
      );
    }
    if (partial.parts.has(head.chunk!)) {
      this._partial.delete(head.id);
      throw new ProtocolError(
        `reply ${head.id}: chunk ${head.chunk} arrived twice`
      );
    }
    partial.parts.set(head.chunk!, pieces);
    if (partial.parts.size < partial.chunks) {
      return {
        state: 'partial',
        id: head.id,
        received: partial.parts.size,
        chunks: partial.chunks
      };
    }
    this._partial.delete(head.id);
    const ordered = Array.from({ length: partial.chunks }, (_, i) =>
      partial!.parts.get(i)!
    );
    return { state: 'complete', reply: makeReply(head, ordered) };
  }

  /** Drop the chunks received so far for a request nobody waits for any more. */
  forget(id: string): void {
    this._partial.delete(id);
  }

  /** Drop every unfinished reply (the comm went away). */
  clear(): void {
    this._partial.clear();
  }

  private _partial = new Map<
    string,
    { chunks: number; parts: Map<number, Uint8Array[]> }
  >();
}

/** A tensor from the kernel, its bytes in the typed array of its dtype. */
export interface IKernelTensor {
  /** The dtype it travelled in. */
  dtype: WireDType;
  /** The shape (C order). */
  shape: number[];
  /** The values. */
  data: Float32Array | Float64Array | Uint8Array | BigInt64Array;
}

const TYPED_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  uint8: Uint8Array,
  int64: BigInt64Array
} as const;

/**
 * The tensor of a `get_tensor` reply. The bytes are little-endian, as every browser's typed
 * arrays are on the hardware browsers run on.
 */
export function decodeTensor(
  fields: { [key: string]: unknown },
  payload: Uint8Array
): IKernelTensor {
  const dtype = fields.dtype;
  if (typeof dtype !== 'string' || !(dtype in TYPED_ARRAYS)) {
    throw new ProtocolError(
      `a tensor reply has dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(TYPED_ARRAYS).join(', ')}`
    );
  }
  const shape = checkShape(fields.shape, 'a tensor reply');
  const TypedArray = TYPED_ARRAYS[dtype as WireDType];
  const expected = elementCount(shape) * TypedArray.BYTES_PER_ELEMENT;
  if (payload.byteLength !== expected) {
    throw new ProtocolError(
      `a ${dtype} tensor of shape [${shape}] needs ${expected} bytes; the reply holds ${payload.byteLength}`
    );
  }
  // A typed array must start at a multiple of its element size; copy when the bytes do not.
  const aligned =
    payload.byteOffset % TypedArray.BYTES_PER_ELEMENT === 0
      ? payload
      : payload.slice();
  const data = new TypedArray(
    aligned.buffer as ArrayBuffer,
    aligned.byteOffset,
    expected / TypedArray.BYTES_PER_ELEMENT
  );
  return { dtype: dtype as WireDType, shape, data };
}

/** The shape as a list of non-negative integers, or a ProtocolError naming `what`. */
export function checkShape(shape: unknown, what: string): number[] {
  if (
    !Array.isArray(shape) ||
    !shape.every(n => Number.isInteger(n) && (n as number) >= 0)
  ) {
    throw new ProtocolError(
      `${what} has shape ${JSON.stringify(shape)}; expected a list of non-negative integers`
    );
  }
  return shape as number[];
}

/** The number of elements of a tensor of this shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((count, n) => count * n, 1);
}

/** The SHA-256 of bytes as hex, or null where the page has no WebCrypto (not a secure context). */
export async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    return null;
  }
  const digest = new Uint8Array(
    await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)
  );
  return Array.from(digest, b => b.toString(16).padStart(2, '0')).join('');
}

interface IReplyHead {
  id: string;
  ok: boolean;
  error?: string;
  chunk?: number;
  chunks?: number;
  fields: { [key: string]: unknown };
}

function checkReplyHead(data: unknown): IReplyHead {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ProtocolError(
      `a reply must be a JSON object; got ${JSON.stringify(data)}`
    );
  }
  const { v, id, ok, error, chunk, chunks, ...fields } = data as {
    [key: string]: unknown;
  };
  if (v !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `the kernel helper speaks protocol v${JSON.stringify(v)}; this extension speaks v${PROTOCOL_VERSION}`
    );
  }
  if (typeof id !== 'string') {
    // The helper could not read a request's id: nothing to route its answer to.
    throw new ProtocolError(
      `the kernel helper answered a request without an id: ${typeof error === 'string' ? error : JSON.stringify(data)}`
    );
  }
  if (typeof ok !== 'boolean') {
    throw new ProtocolError(`reply ${id}: 'ok' must be true or false`);
  }
  if (!ok && typeof error !== 'string') {
    throw new ProtocolError(`reply ${id}: a failed reply must say why`);
  }
  if (chunk === undefined && chunks === undefined) {
    return { id, ok, error: error as string | undefined, fields };
  }
  if (
    !Number.isInteger(chunks) ||
    !Number.isInteger(chunk) ||
    (chunks as number) < 1 ||
    (chunk as number) < 0 ||
    (chunk as number) >= (chunks as number)
  ) {
    throw new ProtocolError(
      `reply ${id}: chunk ${JSON.stringify(chunk)} of ${JSON.stringify(chunks)} is not a chunk number below the count`
    );
  }
  return {
    id,
    ok,
    error: error as string | undefined,
    chunk: chunk as number,
    chunks: chunks as number,
    fields
  };
}

function makeReply(head: IReplyHead, chunks: Uint8Array[][]): IReply {
  const reply: IReply = {
    id: head.id,
    ok: head.ok,
    fields: head.fields,
    payload: concat(chunks.flat())
  };
  if (head.error !== undefined) {
    reply.error = head.error;
  }
  return reply;
}

function concat(pieces: Uint8Array[]): Uint8Array {
  if (pieces.length === 1) {
    return pieces[0];
  }
  const total = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    joined.set(piece, offset);
    offset += piece.byteLength;
  }
  return joined;
}

function bytesOf(buffer: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(buffer)
    ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    : new Uint8Array(buffer);
}

/** The bytes in an ArrayBuffer of their own (copied unless the view already covers its buffer). */
function standalone(bytes: Uint8Array): ArrayBuffer {
  const whole =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return (whole ? bytes : bytes.slice()).buffer as ArrayBuffer;
}
