/**
 * Finite-difference checks of gradient rules: a small forward model is built in code, its backward
 * is compiled with `compileGradients` and run in onnxruntime-web (wasm), and dS/dX is compared with
 * central differences of S = sum(Y * seed), each S computed by running the forward model in ORT.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { GraphBuilder, GraphIndex } from '../../onnx/graph';
import { encodeModel, ModelProto, NodeProto } from '../../onnx/proto';
import { measureShapes } from '../../onnx/shapes';
import { createSession } from '../../runtime';
import { float32, sizeOf, Tensor } from '../../tensor';
import { CompiledModel, compileGradients } from '../compile';
import { ReluMode } from '../rule';

/** A forward model: float32 inputs with static dims, and nodes built from them. */
export interface ForwardSpec {
  opset: number;
  inputs: Record<string, number[]>;
  /** Appends the nodes (the builder's model is the forward model) and returns the output name. */
  build(g: GraphBuilder): string;
}

/** Builds the forward model of a spec. */
export function forwardModel(spec: ForwardSpec): {
  model: ModelProto;
  output: string;
} {
  const model: ModelProto = {
    irVersion: spec.opset >= 21 ? 10 : 8,
    producerName: 'gradient-rule-test',
    opsetImport: [{ domain: '', version: spec.opset }],
    graph: {
      name: 'rule_test',
      node: [],
      initializer: [],
      input: [],
      output: []
    }
  };
  const g = new GraphBuilder(model, 'f');
  for (const [name, dims] of Object.entries(spec.inputs)) {
    g.addInput(name, dims);
  }
  const output = spec.build(g);
  g.addOutput(output);
  return { model, output };
}

/** A seeded generator (mulberry32), so that failures reproduce. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values in [-1, -0.1] u [0.1, 1]: away from the kink of ReLU-like ops at 0. */
export function awayFromZero(n: number, rand: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const u = rand() * 2 - 1;
    return Math.sign(u || 1) * (0.1 + 0.9 * Math.abs(u));
  });
}

/** Values uniform in [lo, hi] that keep `margin` away from each kink of a piecewise op. */
export function avoiding(
  n: number,
  rand: () => number,
  lo: number,
  hi: number,
  kinks: number[],
  margin = 0.05
): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n;) {
    const v = lo + (hi - lo) * rand();
    if (kinks.every(k => Math.abs(v - k) > margin)) {
      out[i++] = v;
    }
  }
  return out;
}

/**
 * A random permutation of a grid with step 0.05 centred on 0 (never 0 itself): all values differ
 * by more than the finite-difference step, so maxima do not change places while differencing.
 */
export function distinct(n: number, rand: () => number): Float32Array {
  const values = Array.from(
    { length: n },
    (_, i) => (i - n / 2) * 0.05 + 0.025
  );
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return Float32Array.from(values);
}

export interface CheckOptions {
  /** Graph inputs to differentiate (all inputs by default). */
  wrt?: string[];
  /** Input values (random away from zero by default). */
  values?: Record<string, Float32Array>;
  /** Seed multiplying the output (random by default). */
  seed?: Float32Array;
  relu?: ReluMode;
  eps?: number;
  rtol?: number;
  atol?: number;
  /** At most this many elements of each input are differenced (chosen at random). */
  samples?: number;
  /** PRNG seed. */
  rngSeed?: number;
}

export interface GradientRun {
  /** dS/dX for each differentiated input, from the compiled graph. */
  gradients: Record<string, Float32Array>;
  /** The compiled model, to inspect what was emitted. */
  compiled: ModelProto;
  /** Forward model and its output, for further checks. */
  forward: ModelProto;
  output: string;
  feeds: Record<string, Tensor>;
  seed: Float32Array;
}

/** Compiles and runs the backward of a spec and returns the gradients (no differencing). */
export async function gradientOf(
  spec: ForwardSpec,
  options: CheckOptions = {}
): Promise<GradientRun> {
  const { model, output } = forwardModel(spec);
  return gradientOfModel(model, output, spec.inputs, options);
}

/** As `gradientOf`, for a model built elsewhere: `inputs` are its float32 inputs and their dims. */
export async function gradientOfModel(
  model: ModelProto,
  output: string,
  inputs: Record<string, number[]>,
  options: CheckOptions = {}
): Promise<GradientRun> {
  const rand = random(options.rngSeed ?? 1234);
  const feeds: Record<string, Tensor> = {};
  for (const [name, dims] of Object.entries(inputs)) {
    feeds[name] = float32(
      options.values?.[name] ?? awayFromZero(sizeOf(dims), rand),
      dims
    );
  }
  const { shapes, values } = await measureShapes(model, feeds);
  const wrt = options.wrt ?? Object.keys(inputs);
  const compiled = compileGradients(model, {
    layers: [],
    inputs: wrt,
    target: output,
    shapes,
    values,
    relu: options.relu
  });
  const seedData =
    options.seed ??
    Float32Array.from(
      { length: sizeOf(compiled.seedShape) },
      () => rand() * 2 - 1
    );
  const session = await createSession(encodeModel(compiled.model), {
    backend: 'wasm'
  });
  try {
    const result = await session.run({
      ...feeds,
      [compiled.seed]: float32(seedData, compiled.seedShape)
    });
    const gradients: Record<string, Float32Array> = {};
    for (const name of wrt) {
      const grad = result[compiled.gradients[name]];
      expect(grad.dims).toEqual(inputs[name]);
      gradients[name] = grad.data as Float32Array;
    }
    const run: GradientRun = {
      gradients,
      compiled: compiled.model,
      forward: model,
      output,
      feeds,
      seed: seedData
    };
    // Every compiled graph of every rule test is checked for what WebGPU gets wrong.
    expect(webGpuHazards(run)).toEqual([]);
    if (process.env.GRADCAM_RULE_DUMP) {
      dumpForBrowser(process.env.GRADCAM_RULE_DUMP, run, compiled, result);
    }
    return run;
  } finally {
    await session.release();
  }
}

/**
 * Checks the compiled gradients against central differences and returns them. Fails with the
 * input, element index and both values of every disagreement beyond the tolerance.
 */
export async function checkGradient(
  spec: ForwardSpec,
  options: CheckOptions = {}
): Promise<GradientRun> {
  return compareWithDifferences(await gradientOf(spec, options), options);
}

/** As `checkGradient`, for a model built elsewhere. */
export async function checkModelGradient(
  model: ModelProto,
  output: string,
  inputs: Record<string, number[]>,
  options: CheckOptions = {}
): Promise<GradientRun> {
  return compareWithDifferences(
    await gradientOfModel(model, output, inputs, options),
    options
  );
}

async function compareWithDifferences(
  run: GradientRun,
  options: CheckOptions
): Promise<GradientRun> {
  const eps = options.eps ?? 1e-2;
  const rtol = options.rtol ?? 1e-2;
  const atol = options.atol ?? 2e-3;
  const rand = random((options.rngSeed ?? 1234) + 1);
  const session = await createSession(encodeModel(run.forward), {
    backend: 'wasm'
  });
  try {
    const score = async (feeds: Record<string, Tensor>): Promise<number> => {
      const y = (await session.run(feeds, [run.output]))[run.output]
        .data as Float32Array;
      let s = 0;
      y.forEach((v, i) => (s += v * run.seed[i]));
      return s;
    };
    const failures: string[] = [];
    for (const [name, analytic] of Object.entries(run.gradients)) {
      const base = run.feeds[name];
      const indices = sample(analytic.length, options.samples ?? 160, rand);
      for (const i of indices) {
        const data = Float32Array.from(base.data as Float32Array);
        const perturbed = (delta: number): Record<string, Tensor> => {
          const copy = Float32Array.from(data);
          copy[i] += delta;
          return { ...run.feeds, [name]: float32(copy, base.dims) };
        };
        // The step actually taken in float32, not the nominal one.
        const up = Math.fround(data[i] + eps) - data[i];
        const down = data[i] - Math.fround(data[i] - eps);
        const numeric =
          ((await score(perturbed(up))) - (await score(perturbed(-down)))) /
          (up + down);
        const error = Math.abs(numeric - analytic[i]);
        if (error > atol + rtol * Math.abs(numeric)) {
          failures.push(
            `${name}[${i}]: compiled ${analytic[i]}, finite difference ${numeric}`
          );
        }
      }
    }
    expect(failures).toEqual([]);
  } finally {
    await session.release();
  }
  return run;
}

function sample(n: number, count: number, rand: () => number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (n <= count) {
    return all;
  }
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, count);
}

/** The backward nodes of a compiled model (those after the forward nodes). */
export function emittedNodes(run: GradientRun): NodeProto[] {
  return run.compiled.graph.node.slice(run.forward.graph.node.length);
}

/** Plain numbers with -0 read as 0, for exact comparisons. */
export function values(data: Float32Array): number[] {
  return Array.from(data, v => v + 0);
}

/**
 * What the backward emitted that onnxruntime's WebGPU backend gets wrong (platform notes): a
 * Conv/ConvTranspose without explicit dilations, strides and pads, a ConvTranspose output_shape,
 * MaxPool with its Indices output, scatters, a Slice with negative steps.
 */
export function webGpuHazards(run: GradientRun): string[] {
  const index = new GraphIndex(run.compiled);
  const hazards: string[] = [];
  for (const node of emittedNodes(run)) {
    const names = (node.attribute ?? []).map(a => a.name);
    const where = `${node.opType} '${node.name}'`;
    if (node.opType === 'Conv' || node.opType === 'ConvTranspose') {
      for (const needed of ['dilations', 'strides', 'pads']) {
        if (!names.includes(needed)) {
          hazards.push(`${where} has no explicit ${needed}`);
        }
      }
      if (names.includes('output_shape')) {
        hazards.push(`${where} has output_shape`);
      }
    }
    if (node.opType === 'MaxPool' && node.output.length > 1) {
      hazards.push(`${where} has an Indices output`);
    }
    if (node.opType === 'ScatterND' || node.opType === 'ScatterElements') {
      hazards.push(`${where} is a scatter`);
    }
    if (node.opType === 'Slice' && node.input[4]) {
      const steps = index.constantValues(node.input[4]);
      if (!steps || steps.some(v => v < 0)) {
        hazards.push(`${where} has negative or computed steps`);
      }
    }
  }
  return hazards;
}

/**
 * Writes a compiled model, its feeds and the wasm gradients to `dir`, for webgpu-check.js to run
 * the same graph on onnxruntime-web's WebGPU backend in headless Chromium and compare.
 */
function dumpForBrowser(
  dir: string,
  run: GradientRun,
  compiled: CompiledModel,
  result: Record<string, Tensor>
): void {
  const testName = expect.getState().currentTestName ?? 'rule';
  const id = `${testName.replace(/[^A-Za-z0-9]+/g, '_').slice(0, 80)}_${Math.floor(Math.random() * 1e9)}`;
  const encoded = (dims: number[], data: Float32Array) => ({
    dims,
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString(
      'base64'
    )
  });
  const feeds: Record<string, unknown> = {};
  for (const [name, tensor] of Object.entries(run.feeds)) {
    feeds[name] = encoded(tensor.dims, tensor.data as Float32Array);
  }
  feeds[compiled.seed] = encoded(compiled.seedShape, run.seed);
  const outputs: Record<string, unknown> = {};
  for (const output of Object.values(compiled.gradients)) {
    outputs[output] = encoded(
      result[output].dims,
      result[output].data as Float32Array
    );
  }
  writeFileSync(join(dir, `${id}.onnx`), encodeModel(run.compiled));
  writeFileSync(
    join(dir, `${id}.json`),
    JSON.stringify({ test: testName, feeds, outputs })
  );
}
