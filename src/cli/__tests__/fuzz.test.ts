/**
 * A fuzz suite of our own (issue 14): the reference CNN mutated at random (structure, attributes,
 * weights, shapes, opsets, raw bytes) and .npy files with mutated headers, each run through the
 * command line in this process. Every case must end in a well-formed result or in exit 2 with one
 * clear line; a fixed seed makes every failure reproducible (the case's name says how it was made).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readNpy, writeNpy } from '../../engine/io/npy';
import {
  AttributeProto,
  encodeModel,
  ModelProto
} from '../../engine/onnx/proto';
import {
  checkLayers,
  checkPredictions,
  contractBreach,
  HostileCase,
  INPUT,
  MODEL,
  npyWithHeader,
  reference,
  runCase
} from './hostile';

jest.setTimeout(600_000);

const SEED = 20261201;
const MODEL_CASES = 120;
const NPY_CASES = 60;

/** mulberry32: a small seeded generator, so that a failing case can be made again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = random(SEED);
const pick = <T>(items: readonly T[]): T =>
  items[Math.floor(rand() * items.length)];
const int = (n: number): number => Math.floor(rand() * n);

const ODD_NUMBERS = [0, -1, 1, 2, 3, 7, 255, 2 ** 31, -(2 ** 31), 2 ** 40];
const OP_TYPES = [
  'Relu',
  'Conv',
  'Gemm',
  'Identity',
  'Softmax',
  'Reshape',
  'Frobnicate',
  'If',
  'Loop',
  'Resize',
  ''
];
const NAMES = ['', 'a', 'input', 'logits', '\u001b[2J', 'x\r\ny', '../../etc'];

/** Structural mutations of the decoded model; each returns its description. */
const MUTATIONS: ((m: ModelProto) => string)[] = [
  m => {
    const node = pick(m.graph.node);
    node.opType = pick(OP_TYPES);
    return `op of ${node.name} -> ${JSON.stringify(node.opType)}`;
  },
  m => {
    const k = int(m.graph.node.length);
    m.graph.node.splice(k, 1);
    return `node ${k} removed`;
  },
  m => {
    const node = pick(m.graph.node);
    const k = int(node.input.length);
    node.input[k] = pick([...NAMES, ...m.graph.node.map(n => n.output[0])]);
    return `input ${k} of ${node.name} -> ${JSON.stringify(node.input[k])}`;
  },
  m => {
    const node = pick(m.graph.node);
    const attributes = node.attribute ?? [];
    const value = pick(ODD_NUMBERS);
    if (attributes.length === 0) {
      node.attribute = [
        { name: pick(['axis', 'strides', 'pads']), type: 2, i: value }
      ];
    } else {
      const a: AttributeProto = pick(attributes);
      if (a.ints) {
        a.ints = a.ints.map(() => pick(ODD_NUMBERS));
      } else if (a.f !== undefined) {
        a.f = pick([NaN, -1, 0, 1e38, -Infinity]);
      } else {
        a.i = value;
      }
    }
    return `an attribute of ${node.name} changed`;
  },
  m => {
    const w = pick(m.graph.initializer);
    w.dims = (w.dims ?? []).map(d => pick([d, d + 1, 0, 2 ** 31]));
    return `dims of ${w.name} -> ${w.dims}`;
  },
  m => {
    const w = pick(m.graph.initializer);
    w.dataType = pick([0, 2, 3, 6, 7, 9, 10, 11, 16, 99]);
    return `dtype of ${w.name} -> ${w.dataType}`;
  },
  m => {
    const w = pick(m.graph.initializer);
    w.rawData = w.rawData!.slice(0, int(w.rawData!.length));
    return `weights of ${w.name} truncated`;
  },
  m => {
    const dims = m.graph.input[0].type!.tensorType!.shape!.dim!;
    const k = int(dims.length);
    dims[k] = pick([{ dimValue: pick(ODD_NUMBERS) }, { dimParam: 'n' }, {}]);
    return `input dim ${k} -> ${JSON.stringify(dims[k])}`;
  },
  m => {
    m.opsetImport = [{ version: int(30) }];
    return `opset ${m.opsetImport[0].version}`;
  },
  m => {
    const node = pick(m.graph.node);
    m.graph.node.splice(int(m.graph.node.length), 0, { ...node });
    return `${node.name} duplicated`;
  },
  m => {
    m.graph.output[0].name = pick(NAMES);
    return `output renamed ${JSON.stringify(m.graph.output[0].name)}`;
  },
  m => {
    const node = pick(m.graph.node);
    node.name = pick(NAMES);
    node.output[0] = pick([...NAMES, node.output[0]]);
    return `node renamed, output ${JSON.stringify(node.output[0])}`;
  }
];

/** Byte-level mutations of the encoded model. */
function mutateBytes(bytes: Uint8Array): [Uint8Array, string] {
  const out = new Uint8Array(bytes);
  switch (int(3)) {
    case 0: {
      const n = 1 + int(8);
      for (let i = 0; i < n; i++) {
        out[int(out.length)] = int(256);
      }
      return [out, `${n} random bytes`];
    }
    case 1: {
      const at = int(out.length);
      return [out.slice(0, at), `truncated at ${at}`];
    }
    default: {
      const at = int(out.length);
      const extra = Uint8Array.from({ length: 1 + int(16) }, () => int(256));
      const joined = new Uint8Array(out.length + extra.length);
      joined.set(out.subarray(0, at));
      joined.set(extra, at);
      joined.set(out.subarray(at), at + extra.length);
      return [joined, `${extra.length} bytes inserted at ${at}`];
    }
  }
}

/** Header pieces a mutated .npy header is made of. */
const HEADER_VALUES: Record<string, string[]> = {
  descr: [
    "'<f4'",
    "'<f8'",
    "'>f4'",
    "'|u1'",
    "'<i8'",
    "'<U3'",
    "[('a', '<f4')]",
    '1',
    "'<f4\u001b'"
  ],
  fortran_order: ['False', 'True', '0', 'None', "'False'"],
  shape: [
    '(1, 3, 32, 32)',
    '(3, 32, 32)',
    '(1, 3, 32, 32,)',
    '(0, 3, 32, 32)',
    '(1, 3, -32, 32)',
    '(1, 3, 2147483648, 32)',
    '(1L, 3L, 32L, 32L)',
    '()',
    '(1.5,)',
    '[1, 3, 32, 32]',
    '(1, 3, 32, 32'
  ]
};

function mutatedHeader(): string {
  const keys = ['descr', 'fortran_order', 'shape'];
  const parts: string[] = [];
  for (const key of keys) {
    if (rand() < 0.9) {
      parts.push(`'${key}': ${pick(HEADER_VALUES[key])}`);
    }
  }
  if (rand() < 0.2) {
    parts.push(`'${pick([...keys, 'extra'])}': ${pick(HEADER_VALUES.shape)}`);
  }
  if (rand() < 0.2) {
    parts.reverse();
  }
  let text = `{${parts.join(', ')}${rand() < 0.5 ? ', ' : ''}}`;
  if (rand() < 0.15) {
    const at = int(text.length);
    text =
      text.slice(0, at) +
      pick(['{', '}', "'", '(', ':', '\\', '\u0000']) +
      text.slice(at);
  }
  return text;
}

let tmp: string;
const cases: HostileCase[] = [];

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-fuzz-'));
  const valid = encodeModel(reference());
  for (let k = 0; k < MODEL_CASES; k++) {
    let bytes: Uint8Array;
    let how: string;
    if (rand() < 0.25) {
      [bytes, how] = mutateBytes(valid);
    } else {
      const m = reference();
      const steps = Array.from({ length: 1 + int(2) }, () =>
        pick(MUTATIONS)(m)
      );
      bytes = encodeModel(m);
      how = steps.join('; ');
    }
    const file = path.join(tmp, `model-${k}.onnx`);
    fs.writeFileSync(file, bytes);
    const verb = k % 2 === 0 ? 'layers' : 'predict';
    cases.push({
      name: `model ${k} (${how}), ${verb}`,
      argv:
        verb === 'layers'
          ? ['layers', '--model', file]
          : ['predict', '--model', file, '--input', INPUT],
      expect: 'either',
      check: verb === 'layers' ? checkLayers : checkPredictions
    });
  }
  const pixels = readNpy(new Uint8Array(fs.readFileSync(INPUT)))
    .data as Float32Array;
  const data = new Uint8Array(pixels.buffer.slice(0));
  for (let k = 0; k < NPY_CASES; k++) {
    let bytes: Uint8Array;
    let how: string;
    if (rand() < 0.3) {
      bytes = writeNpy(pixels, [1, 3, 32, 32]);
      const n = 1 + int(4);
      for (let i = 0; i < n; i++) {
        bytes[int(Math.min(bytes.length, 128))] = int(256);
      }
      how = `${n} random bytes in the preamble or header`;
    } else {
      const header = mutatedHeader();
      bytes = npyWithHeader(header, data, rand() < 0.2 ? 2 : 1);
      how = JSON.stringify(header);
    }
    const file = path.join(tmp, `input-${k}.npy`);
    fs.writeFileSync(file, bytes);
    cases.push({
      name: `npy ${k} (${how})`,
      argv: ['predict', '--model', MODEL, '--input', file],
      expect: 'either',
      check: checkPredictions
    });
  }
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test(`${MODEL_CASES} mutated models and ${NPY_CASES} mutated .npy files (seed ${SEED}): a result or one clear error each`, async () => {
  const breaches: string[] = [];
  let errors = 0;
  for (const c of cases) {
    const outcome = await runCase(c, 30);
    errors += outcome.code === 2 ? 1 : 0;
    const breach = contractBreach(c, outcome);
    if (breach) {
      breaches.push(`${c.name}: ${breach}`);
    }
  }
  console.log(
    `fuzz: ${cases.length} cases, ${errors} clear errors, ${cases.length - errors - breaches.length} results, ${breaches.length} breaches`
  );
  expect(breaches).toEqual([]);
});
