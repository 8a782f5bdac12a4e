/**
 * Hostile command lines, written into a scratch folder: broken and odd models made from the small
 * reference CNN, bad .npy files, special files and absurd flags (issue 14, "the command line keeps
 * its contract"). Each case says what a good answer is: a clear error (exit 2, one readable line),
 * or a correct result. `contractBreach` judges one run.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PNG } from 'pngjs';
import * as zlib from 'zlib';
import { readNpy, writeNpy } from '../../engine/io/npy';
import {
  DataType,
  decodeModel,
  encodeModel,
  ModelProto,
  NodeProto
} from '../../engine/onnx/proto';
import { main } from '../main';

export const ROOT = path.resolve(__dirname, '../../..');
const REFS = path.join(ROOT, 'src/__tests__/data/refs');
export const MODEL = path.join(REFS, 'small_cnn.onnx');
export const INPUT = path.join(REFS, 'small_cnn_input.npy');

/** One hostile run of the CLI. */
export interface HostileCase {
  name: string;
  argv: string[];
  /** 'error': exit 2 with a clear line; 'ok': exit 0 and `check` passes; 'either': one of them. */
  expect: 'error' | 'ok' | 'either';
  /** For a success: throws when stdout is not a correct result. */
  check?: (stdout: string) => void;
  /** The error line must match this (the input it names). */
  names?: RegExp;
  /** Needs its own process (special files, process-wide settings, raw stderr). */
  subprocess?: boolean;
}

/** What a run gave. */
export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

// Wording that belongs to JavaScript or to onnxruntime's internals, never to a sentence about input.
const INTERNAL =
  /undefined|\bnull\b|Cannot read prop|Cannot convert|typed array|is not a function|is not iterable|Maximum call stack|\[object |TypeError|RangeError|ReferenceError|\bat .*:\d+:\d+|onnxruntime:|\[E:|\[W:/;

/** Runs one case; a case that takes over `limitS` seconds counts as a hang. */
export async function runCase(c: HostileCase, limitS = 60): Promise<Outcome> {
  if (c.subprocess) {
    const result = spawnSync(
      process.execPath,
      ['bin/jupyterlab-gradcam.js', ...c.argv],
      { cwd: ROOT, encoding: 'utf8', timeout: limitS * 1000 }
    );
    return {
      code: result.error ? null : result.status,
      stdout: result.stdout ?? '',
      stderr: result.error ? `hung: ${result.error.message}` : result.stderr
    };
  }
  let stdout = '';
  let stderr = '';
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<number | null>(resolve => {
    timer = setTimeout(() => resolve(null), limitS * 1000);
  });
  try {
    const code = await Promise.race([
      main(
        c.argv,
        text => (stdout += text),
        text => (stderr += text)
      ),
      hang
    ]);
    return { code, stdout, stderr: code === null ? 'hung' : stderr };
  } catch (error) {
    return { code: null, stdout, stderr: `threw: ${(error as Error).stack}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Why an outcome breaks the contract, or undefined when it keeps it. */
export function contractBreach(c: HostileCase, o: Outcome): string | undefined {
  if (o.code === 0 && c.expect !== 'error') {
    try {
      c.check?.(o.stdout);
    } catch (error) {
      return `exit 0 with a wrong result: ${(error as Error).message}`;
    }
    if (o.stderr.trim() !== '') {
      return `exit 0 with stderr ${JSON.stringify(o.stderr.slice(0, 200))}`;
    }
    return undefined;
  }
  if (o.code !== 2) {
    return `exit ${o.code} (stdout ${JSON.stringify(o.stdout.slice(0, 120))}, stderr ${JSON.stringify(o.stderr.slice(0, 200))})`;
  }
  if (c.expect === 'ok') {
    return `exit 2 for a valid case: ${JSON.stringify(o.stderr.slice(0, 300))}`;
  }
  const lines = o.stderr.replace(/\n$/, '').split('\n');
  if (lines.length !== 1) {
    return `${lines.length} lines on stderr: ${JSON.stringify(o.stderr.slice(0, 300))}`;
  }
  const line = lines[0];
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(line)) {
    return `control characters on stderr: ${JSON.stringify(line.slice(0, 300))}`;
  }
  if (INTERNAL.test(line)) {
    return `internal wording: ${JSON.stringify(line.slice(0, 300))}`;
  }
  if (!/^jupyterlab-gradcam( \w+)?: error: /.test(line)) {
    return `not the CLI's error line: ${JSON.stringify(line.slice(0, 300))}`;
  }
  if (line.length > 1000) {
    return `an error line of ${line.length} characters`;
  }
  if (c.names && !c.names.test(line)) {
    return `the line does not name the input (${c.names}): ${JSON.stringify(line)}`;
  }
  if (o.stdout !== '') {
    return `an error with stdout ${JSON.stringify(o.stdout.slice(0, 120))}`;
  }
  return undefined;
}

/** The reference model, decoded afresh. */
export function reference(): ModelProto {
  return decodeModel(new Uint8Array(fs.readFileSync(MODEL)));
}

/** Layers output: a non-empty list of well-formed entries with one default. */
export function checkLayers(stdout: string): void {
  const layers = JSON.parse(stdout) as {
    name: string;
    op: string;
    shape: number[];
    default: boolean;
  }[];
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new Error(`layers printed ${stdout.trim()}`);
  }
  for (const l of layers) {
    if (
      typeof l.name !== 'string' ||
      typeof l.op !== 'string' ||
      !l.shape.every(d => Number.isInteger(d) && d > 0)
    ) {
      throw new Error(`a malformed layer ${JSON.stringify(l)}`);
    }
  }
}

/** Predict output: finite scores, probabilities in [0, 1]. */
export function checkPredictions(stdout: string): void {
  const rows = JSON.parse(stdout);
  const flat = (Array.isArray(rows[0]) ? rows.flat() : rows) as {
    score: number;
    probability: number;
  }[];
  if (flat.length === 0) {
    throw new Error('no predictions');
  }
  for (const p of flat) {
    if (
      !Number.isFinite(p.score) ||
      !(p.probability >= 0 && p.probability <= 1)
    ) {
      throw new Error(`a prediction ${JSON.stringify(p)}`);
    }
  }
}

/** Explain output: the .npy it names holds finite values in [0, 1]. */
export function checkMapFile(stdout: string): void {
  const { out } = JSON.parse(stdout) as { out: string };
  const map = readNpy(new Uint8Array(fs.readFileSync(out)));
  for (const v of map.data as Float32Array) {
    if (!(v >= 0 && v <= 1)) {
      throw new Error(`the map holds ${v}`);
    }
  }
}

/** A .npy with a header written by hand (the tests' hostile headers). */
export function npyWithHeader(
  header: string,
  data: Uint8Array = new Uint8Array(0),
  major = 1
): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  let text = header;
  text += ' '.repeat((64 - ((prefix + text.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.from(text, 'latin1');
  const out = new Uint8Array(prefix + head.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) {
    view.setUint16(8, head.length, true);
  } else {
    view.setUint32(8, head.length, true);
  }
  out.set(head, prefix);
  out.set(data, prefix + head.length);
  return out;
}

function node(model: ModelProto, name: string): NodeProto {
  return model.graph.node.find(n => n.name === name)!;
}

/** Writes every hostile model and input into `dir`; returns the cases. */
export function hostileCases(dir: string): HostileCase[] {
  const cases: HostileCase[] = [];
  const write = (name: string, bytes: Uint8Array | string): string => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    return file;
  };
  const model = (name: string, edit: (m: ModelProto) => void): string => {
    const m = reference();
    edit(m);
    return write(`${name}/model.onnx`, encodeModel(m));
  };
  const input = readNpy(new Uint8Array(fs.readFileSync(INPUT)));
  const pixels = input.data as Float32Array;

  // -- broken models: `layers` must not print [] and exit 0 ------------------------------------
  // The fourth field marks a model onnxruntime accepts: a correct result is right for it too.
  const broken: [string, (m: ModelProto) => void, RegExp?, 'valid'?][] = [
    [
      'an op with no implementation on the path',
      m => (node(m, '/features/relu2/Relu').opType = 'Frobnicate'),
      /Frobnicate/
    ],
    [
      'an op of an unknown domain',
      m => (node(m, '/features/relu2/Relu').domain = 'com.example'),
      /com\.example/
    ],
    [
      'a missing tensor',
      m => (node(m, '/features/conv2/Conv').input[0] = 'nowhere'),
      /nowhere/
    ],
    [
      'a cycle',
      m =>
        (node(m, '/features/conv1/Conv').input[0] =
          '/features/relu2/Relu_output_0'),
      /cycle|relu|conv/i
    ],
    [
      'int8 weights',
      m => {
        const w = m.graph.initializer.find(
          t => t.name === 'features.conv2.weight'
        )!;
        w.dataType = DataType.INT8;
        w.rawData = w.rawData!.slice(0, w.rawData!.length / 4);
      }
    ],
    [
      'weights whose bytes do not fill their shape',
      m => {
        const w = m.graph.initializer.find(
          t => t.name === 'features.conv2.weight'
        )!;
        w.rawData = w.rawData!.slice(0, 100);
      },
      /features\.conv2\.weight/
    ],
    [
      'two nodes writing one tensor',
      m =>
        (node(m, '/features/relu2/Relu').output[0] =
          '/features/bn2/BatchNormalization_output_0')
    ],
    [
      'an output listed twice',
      m => m.graph.output.push({ ...m.graph.output[0] }),
      undefined,
      'valid'
    ],
    ['opset 1', m => (m.opsetImport = [{ version: 1 }]), /opset/],
    ['opset 99', m => (m.opsetImport = [{ version: 99 }]), /opset|99/],
    ['no ai.onnx opset', m => (m.opsetImport = []), /opset/],
    [
      'a Conv with stride 0',
      m =>
        node(m, '/features/conv2/Conv').attribute!.push({
          name: 'strides',
          type: 7,
          ints: [0, 0]
        })
    ],
    [
      'a Conv with a kernel_shape that disagrees with its weights',
      m => {
        const conv = node(m, '/features/conv2/Conv');
        conv.attribute = conv.attribute!.filter(a => a.name !== 'kernel_shape');
        conv.attribute.push({ name: 'kernel_shape', type: 7, ints: [5, 5] });
      }
    ],
    [
      'a MaxPool with negative pads',
      m =>
        node(m, '/features/pool2/MaxPool').attribute!.push({
          name: 'pads',
          type: 7,
          ints: [-3, -3, -3, -3]
        })
    ],
    [
      'an attribute of the wrong type',
      m => {
        const conv = node(m, '/features/conv2/Conv');
        conv.attribute = conv.attribute!.filter(a => a.name !== 'group');
        conv.attribute.push({ name: 'group', type: 1, f: 2.5 });
      }
    ],
    [
      'a Gemm that cannot multiply',
      m => {
        const w = m.graph.initializer.find(
          t => t.name === 'classifier.weight'
        )!;
        w.dims = [5, 128];
        w.rawData = w.rawData!.slice(0, 5 * 128 * 4);
      }
    ],
    ['a model with no outputs', m => (m.graph.output = []), /output/],
    ['a model with no inputs', m => (m.graph.input = []), /input/],
    [
      'an input of string type',
      m => (m.graph.input[0].type!.tensorType!.elemType = 8)
    ],
    [
      'an input with a zero dimension',
      m => (m.graph.input[0].type!.tensorType!.shape!.dim![0].dimValue = 0),
      undefined,
      'valid'
    ],
    [
      'an input with a 2**31 dimension',
      m =>
        (m.graph.input[0].type!.tensorType!.shape!.dim![2].dimValue = 2 ** 31),
      /input/
    ],
    [
      'an input with a 2**40 dimension',
      m =>
        (m.graph.input[0].type!.tensorType!.shape!.dim![3].dimValue = 2 ** 40),
      /input/
    ],
    [
      'a node that reads an output of its own',
      m => {
        const relu = node(m, '/features/relu1/Relu');
        relu.input[0] = relu.output[0];
      }
    ]
  ];
  for (const [name, edit, names, valid] of broken) {
    const file = model(`broken-${cases.length}`, edit);
    const expect = valid ? 'either' : 'error';
    cases.push({
      name: `layers: ${name}`,
      argv: ['layers', '--model', file],
      expect,
      names,
      check: checkLayers
    });
    cases.push({
      name: `predict: ${name}`,
      argv: ['predict', '--model', file, '--input', INPUT],
      expect,
      names,
      check: checkPredictions
    });
  }

  const longChain = model('long-chain', m => {
    // 100,000 Relu nodes after the last block: a graph far beyond any image model.
    const k = m.graph.node.findIndex(n => n.name === '/features/relu3/Relu');
    let previous = m.graph.node[k].output[0];
    const chain: NodeProto[] = [];
    for (let i = 0; i < 100_000; i++) {
      chain.push({
        name: `/chain/${i}`,
        opType: 'Relu',
        input: [previous],
        output: [`chain_${i}`]
      });
      previous = `chain_${i}`;
    }
    m.graph.node[k + 1].input[0] = previous;
    m.graph.node.splice(k + 1, 0, ...chain);
  });
  cases.push({
    name: 'layers: a graph of 100,000 nodes',
    argv: ['layers', '--model', longChain],
    expect: 'error',
    names: /100014 nodes/
  });

  // -- valid but odd models --------------------------------------------------------------------
  const symbolic = model('symbolic', m => {
    const dims = m.graph.input[0].type!.tensorType!.shape!.dim!;
    dims[2] = { dimParam: 'height' };
    dims[3] = { dimParam: 'width' };
  });
  cases.push({
    name: 'layers: symbolic height and width whose head cannot run at 224',
    argv: ['layers', '--model', symbolic],
    expect: 'error',
    names: /--input|224/
  });
  cases.push({
    name: 'layers --input: the same model at the size it was made for',
    argv: ['layers', '--model', symbolic, '--input', INPUT],
    expect: 'ok',
    check: checkLayers
  });
  const controlName = model('control', m => {
    node(m, '/features/relu2/Relu').opType = 'Evil\u001b[2J\rfake: ok\u009b';
    node(m, '/features/relu2/Relu').name = 'node\u001b]0;title\u0007\r';
  });
  cases.push({
    name: 'layers: control characters in an op and node name',
    argv: ['layers', '--model', controlName],
    expect: 'error',
    subprocess: true
  });
  cases.push({
    name: 'predict: control characters in an op name',
    argv: ['predict', '--model', controlName, '--input', INPUT],
    expect: 'error',
    subprocess: true
  });
  // A run that fails inside onnxruntime: it logs "[E:onnxruntime:...]" lines of its own unless told not to.
  const wide = write(
    'inputs/wide.npy',
    writeNpy(new Float32Array(3 * 64 * 64), [1, 3, 64, 64])
  );
  cases.push({
    name: 'predict: a run that fails in onnxruntime, with its log lines kept off stderr',
    argv: ['predict', '--model', symbolic, '--input', wide],
    expect: 'error',
    names: /Gemm/,
    subprocess: true
  });
  const nanWeights = model('nan-weights', m => {
    const w = m.graph.initializer.find(t => t.name === 'features.conv3.bias')!;
    const values = new Float32Array(w.rawData!.slice().buffer);
    values[0] = NaN;
    w.rawData = new Uint8Array(values.buffer);
  });
  const negativeEpsilon = model('bn-epsilon', m => {
    const bn = node(m, '/features/bn3/BatchNormalization');
    bn.attribute = (bn.attribute ?? []).filter(a => a.name !== 'epsilon');
    bn.attribute.push({ name: 'epsilon', type: 1, f: -1 });
    const v = m.graph.initializer.find(
      t => t.name === 'features.bn3.running_var'
    )!;
    v.rawData = new Uint8Array(new Float32Array(16).fill(0).buffer);
  });
  const huge = model('huge-weights', m => {
    const w = m.graph.initializer.find(
      t => t.name === 'features.conv1.weight'
    )!;
    w.rawData = new Uint8Array(
      new Float32Array(w.rawData!.length / 4).fill(3e38).buffer
    );
  });
  for (const [name, file] of [
    ['NaN in the weights', nanWeights],
    ['BatchNorm epsilon -1', negativeEpsilon],
    ['weights near 1e38', huge]
  ]) {
    cases.push({
      name: `predict: ${name}`,
      argv: ['predict', '--model', file, '--input', INPUT],
      expect: 'error',
      names: /NaN|finite/i
    });
    cases.push({
      name: `explain: ${name}`,
      argv: [
        'explain',
        '--model',
        file,
        '--input',
        INPUT,
        '--out',
        path.join(dir, 'out.npy')
      ],
      expect: 'error',
      names: /NaN|finite/i
    });
  }

  // -- bad inputs --------------------------------------------------------------------------------
  const withValue = (value: number): Uint8Array => {
    const data = Float32Array.from(pixels);
    data[7] = value;
    return writeNpy(data, input.dims);
  };
  const badInputs: [string, Uint8Array, RegExp?][] = [
    ['NaN in the input', withValue(NaN), /input.*(NaN|non-finite)/i],
    ['Inf in the input', withValue(Infinity), /input.*Infinity.*finite/i],
    ['a batch of 0', writeNpy(new Float32Array(0), [0, 3, 32, 32]), /batch|0/],
    [
      'a negative shape in the header',
      npyWithHeader(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, -32, 32), }"
      ),
      /shape/
    ],
    [
      'a 2**31 dimension in the header',
      npyWithHeader(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 2147483648, 32), }"
      ),
      /shape|bytes/
    ],
    [
      'a 2**62 dimension in the header',
      npyWithHeader(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 4611686018427387904, 32), }"
      )
    ],
    [
      'duplicate keys in the header (numpy takes the last descr)',
      npyWithHeader(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), 'descr': '>f8', }",
        new Uint8Array(pixels.buffer.slice(0))
      ),
      /descr|duplicate/
    ],
    [
      'a header that is not a dict literal',
      npyWithHeader("__import__('os').system('echo pwned')")
    ],
    [
      'a header with a shape of floats',
      npyWithHeader(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1.5, 3, 32, 32), }"
      ),
      /shape/
    ],
    [
      'a header with an unknown key',
      npyWithHeader(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), 'extra': 1, }",
        new Uint8Array(pixels.buffer.slice(0))
      )
    ],
    [
      'a header whose descr is a structured dtype',
      npyWithHeader(
        "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 3, 32, 32), }"
      ),
      /descr|dtype/
    ],
    [
      'a header length beyond the file',
      (() => {
        const b = npyWithHeader(
          "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }"
        );
        new DataView(b.buffer).setUint16(8, 60000, true);
        return b;
      })()
    ],
    [
      'a version 2 header of 4 GB',
      (() => {
        const b = npyWithHeader(
          "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }",
          undefined,
          2
        );
        new DataView(b.buffer).setUint32(8, 0xffffffff, true);
        return b;
      })()
    ],
    [
      'a header with control characters',
      npyWithHeader(
        "{'descr': '<f4\u001b[2J\r', 'fortran_order': False, 'shape': (1, 3, 32, 32), }"
      )
    ],
    [
      'a scalar',
      npyWithHeader(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
        new Uint8Array(4)
      )
    ],
    ['an empty file', new Uint8Array(0)],
    ['text', Buffer.from('1 2 3\n')],
    [
      'the wrong channel count',
      writeNpy(new Float32Array(32 * 32), [1, 1, 32, 32]),
      /input/
    ],
    [
      'a 3-D array',
      writeNpy(new Float32Array(3 * 32 * 32), [3, 32, 32]),
      /input/
    ]
  ];
  for (const [name, bytes, names] of badInputs) {
    const file = write(`inputs/${cases.length}.npy`, bytes);
    for (const verb of ['layers', 'predict']) {
      cases.push({
        name: `${verb}: ${name}`,
        argv: [verb, '--model', MODEL, '--input', file],
        expect: 'error',
        names
      });
    }
  }

  // -- PNG files whose header declares an absurd size, or that are not PNGs at all ---------------
  for (const [name, bytes, names] of [
    [
      'a PNG declaring 100000x100000 pixels',
      pngDeclaring(100_000, 100_000),
      /100000x100000/
    ],
    ['a PNG of 0x5 pixels', pngDeclaring(0, 5), /no pixels/],
    ['a .png that is not a PNG', Buffer.from('not a picture'), /not a PNG/]
  ] as [string, Uint8Array, RegExp][]) {
    const file = write(`inputs/${cases.length}.png`, bytes);
    cases.push({
      name: `predict: ${name}`,
      argv: ['predict', '--model', MODEL, '--input', file],
      expect: 'error',
      names
    });
  }

  // -- special files, absurd flags ---------------------------------------------------------------
  cases.push({
    name: 'predict --threads 1000000000',
    argv: [
      'predict',
      '--model',
      MODEL,
      '--input',
      INPUT,
      '--threads',
      '1000000000'
    ],
    expect: 'error',
    names: /--threads/,
    subprocess: true
  });
  cases.push({
    name: 'predict --threads 99999999999999999999',
    argv: [
      'predict',
      '--model',
      MODEL,
      '--input',
      INPUT,
      '--threads',
      '99999999999999999999'
    ],
    expect: 'error',
    names: /--threads/,
    subprocess: true
  });
  cases.push({
    name: 'predict --top 1e9 (all classes)',
    argv: [
      'predict',
      '--model',
      MODEL,
      '--input',
      INPUT,
      '--top',
      '1000000000'
    ],
    expect: 'ok',
    check: checkPredictions
  });
  cases.push({
    name: 'predict --top 99999999999999999999',
    argv: [
      'predict',
      '--model',
      MODEL,
      '--input',
      INPUT,
      '--top',
      '99999999999999999999'
    ],
    expect: 'either',
    check: checkPredictions
  });
  cases.push({
    name: 'explain --target 99999999999999999999',
    argv: [
      'explain',
      '--model',
      MODEL,
      '--input',
      INPUT,
      '--target',
      '99999999999999999999',
      '--out',
      path.join(dir, 'out.npy')
    ],
    expect: 'error',
    names: /target/
  });
  if (fs.existsSync('/dev/zero')) {
    cases.push({
      name: 'layers --model /dev/zero',
      argv: ['layers', '--model', '/dev/zero'],
      expect: 'error',
      names: /--model/,
      subprocess: true
    });
    cases.push({
      name: 'predict --input /dev/zero',
      argv: ['predict', '--model', MODEL, '--input', '/dev/zero'],
      expect: 'error',
      names: /--input/,
      subprocess: true
    });
    const zeroNpy = path.join(dir, 'zero.npy');
    fs.symlinkSync('/dev/zero', zeroNpy);
    cases.push({
      name: 'predict --input zero.npy (a link to /dev/zero)',
      argv: ['predict', '--model', MODEL, '--input', zeroNpy],
      expect: 'error',
      names: /--input/,
      subprocess: true
    });
  }
  cases.push({
    name: 'layers --model a folder',
    argv: ['layers', '--model', dir],
    expect: 'error',
    names: /--model/
  });
  cases.push({
    name: 'predict --input a folder',
    argv: ['predict', '--model', MODEL, '--input', dir],
    expect: 'error',
    names: /--input/
  });
  cases.push({
    name: 'explain --out into a missing folder',
    argv: [
      'explain',
      '--model',
      MODEL,
      '--input',
      INPUT,
      '--out',
      path.join(dir, 'missing', 'out.npy')
    ],
    expect: 'error',
    names: /--out/
  });
  cases.push({
    name: 'explain: a valid run',
    argv: [
      'explain',
      '--model',
      MODEL,
      '--input',
      INPUT,
      '--out',
      path.join(dir, 'valid.npy')
    ],
    expect: 'ok',
    check: checkMapFile
  });

  // -- external data: only the files the tensors name --------------------------------------------
  const external = externalDataModel();
  const extDir = path.join(dir, 'external');
  write('external/model.onnx', external.model);
  write('external/weights.bin', external.weights);
  // A dangling link named like a one-letter tensor ('a' appears in any model's bytes) and an
  // unrelated file whose name the model's bytes contain ("model" is in "model.onnx"? no: "logits").
  fs.symlinkSync(path.join(extDir, 'gone'), path.join(extDir, 'a'));
  fs.mkdirSync(path.join(extDir, 'features'));
  write('external/logits', 'not weights');
  cases.push({
    name: 'predict: external data beside a dangling link and unrelated files',
    argv: [
      'predict',
      '--model',
      path.join(extDir, 'model.onnx'),
      '--input',
      INPUT
    ],
    expect: 'ok',
    check: checkPredictions
  });
  const escaping = reference();
  moveToExternal(escaping, '../outside.bin');
  write('external/escape.onnx', encodeModel(escaping));
  write('outside.bin', external.weights);
  cases.push({
    name: 'predict: external data outside the model folder',
    argv: [
      'predict',
      '--model',
      path.join(extDir, 'escape.onnx'),
      '--input',
      INPUT
    ],
    expect: 'error',
    names: /outside\.bin/
  });
  const missing = reference();
  moveToExternal(missing, 'nowhere.bin');
  write('external/missing.onnx', encodeModel(missing));
  cases.push({
    name: 'predict: external data file missing',
    argv: [
      'predict',
      '--model',
      path.join(extDir, 'missing.onnx'),
      '--input',
      INPUT
    ],
    expect: 'error',
    names: /nowhere\.bin/
  });
  return cases;
}

/** A 1x1 RGB PNG whose header then claims `width` x `height` pixels (its CRC made right again). */
function pngDeclaring(width: number, height: number): Uint8Array {
  const png = new PNG({ width: 1, height: 1 });
  const bytes = new Uint8Array(PNG.sync.write(png));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(16, width);
  view.setUint32(20, height);
  // IHDR: length at 8, type and data at 12..29, CRC at 29.
  view.setUint32(29, zlib.crc32(bytes.subarray(12, 29)));
  return bytes;
}

/** Moves every initializer's bytes into one external file `location`. */
function moveToExternal(model: ModelProto, location: string): Uint8Array {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const tensor of model.graph.initializer) {
    const raw = Buffer.from(tensor.rawData!);
    tensor.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.length) }
    ];
    tensor.dataLocation = 1;
    delete tensor.rawData;
    chunks.push(raw);
    offset += raw.length;
  }
  return Buffer.concat(chunks);
}

function externalDataModel(): { model: Uint8Array; weights: Uint8Array } {
  const m = reference();
  const weights = moveToExternal(m, 'weights.bin');
  return { model: encodeModel(m), weights };
}
