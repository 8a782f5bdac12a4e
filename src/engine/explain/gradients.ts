/**
 * Runs of the compiled backward graph: the model with the backward graph of `sum(y * seed)`
 * appended (autodiff/compile.ts), compiled once per (layers, inputs, target tensor, method, ReLU
 * rule, input shape) and run once per image and target with a one-hot seed.
 */
import { CompiledModel, compileGradients } from '../autodiff/compile';
import { ReluMode } from '../autodiff/rule';
import { Session } from '../runtime';
import { float32, sizeOf, Tensor } from '../tensor';
import { concatRows, shapeKey, sliceRows } from './rows';
import { ModelSessions } from './sessions';
import { RunOptions } from './types';

/**
 * Builds maps into a compiled graph (a gradient method's cams, cam/graph.ts): adds the nodes and
 * outputs, and returns the output of each layer's map.
 */
export interface MapBuilder {
  /** Names what is built (compiled sessions are cached by it). */
  readonly name: string;
  /** Adds the maps of these layers to the compiled model; returns layer -> map output. */
  append(
    compiled: CompiledModel,
    shapes: ReadonlyMap<string, number[]>
  ): Record<string, string>;
}

/** What a compiled run hands back: the layers' maps, built in the graph, and input gradients. */
export interface Wanted {
  /** Layer tensors differentiated. */
  layers: string[];
  /** Builds each layer's map in the graph. */
  cam?: MapBuilder;
  /** Inputs whose gradients are wanted. */
  inputs: string[];
}

/** The results of the runs of one request, rows ordered image by image, target by target. */
export interface GradientRuns {
  /** Each layer's cam, [N*T, 1, h, w]. */
  cams: Record<string, Tensor>;
  /** Each wanted input's gradient, [N*T, ...the input's item shape]. */
  gradients: Record<string, Tensor>;
  /** The target score of each image and target. */
  scores: number[][];
}

/**
 * Runs of the compiled backward graph for N images x T targets, one row (an image and a target)
 * per run: the compiled graph and the shape pass it is built from then serve any number of
 * images and targets (a batch of T rows needed a shape pass and a compile of its own: 0.6 s of a
 * first top-5 explanation of mobilenet_v3_small), and a cancel takes effect between rows.
 * A negated seed gives the gradients of `-y` (counterfactual maps).
 */
export async function runGradients(
  sessions: ModelSessions,
  feeds: Record<string, Tensor>,
  what: Wanted,
  targetTensor: string,
  relu: ReluMode,
  targets: number[][],
  negate: boolean,
  options: RunOptions
): Promise<GradientRuns> {
  const rows = targets.length * targets[0].length;
  const parts: Record<string, Tensor>[] = [];
  const scores: number[][] = [];
  for (const [n, row] of targets.entries()) {
    const image = sliceRows(feeds, n, n + 1);
    const { session, compiled, cams } = await compiledSession(
      sessions,
      image,
      what,
      targetTensor,
      relu
    );
    const named: Record<string, string> = { [targetTensor]: targetTensor };
    for (const [layer, cam] of Object.entries(cams)) {
      named[`cam:${layer}`] = cam;
    }
    for (const input of what.inputs) {
      named[`grad:${input}`] = compiled.gradients[input];
    }
    const imageScores: number[] = [];
    for (const target of row) {
      options.signal?.throwIfAborted();
      options.onProgress?.(
        0.1 + (0.9 * parts.length) / rows,
        `gradients of class ${target}` +
          (targets.length > 1 ? ` for image ${n + 1}` : '')
      );
      const seed = new Float32Array(sizeOf(compiled.seedShape));
      seed[target] = negate ? -1 : 1;
      const out = await sessions.exclusive(() =>
        session.run(
          { ...image, [compiled.seed]: float32(seed, compiled.seedShape) },
          [...new Set(Object.values(named))]
        )
      );
      imageScores.push(out[targetTensor].data[target] as number);
      parts.push(
        Object.fromEntries(
          Object.entries(named).map(([key, tensor]) => [key, out[tensor]])
        )
      );
    }
    scores.push(imageScores);
  }
  const results = rows === 1 ? parts[0] : concatRows(parts);
  const cams: Record<string, Tensor> = {};
  const gradients: Record<string, Tensor> = {};
  for (const [key, tensor] of Object.entries(results)) {
    if (key.startsWith('cam:')) {
      cams[key.slice(4)] = tensor;
    } else if (key.startsWith('grad:')) {
      gradients[key.slice(5)] = tensor;
    }
  }
  return { cams, gradients, scores };
}

/** The compiled session for one image's shape, cached; `cams` maps each layer to its cam output. */
async function compiledSession(
  sessions: ModelSessions,
  feeds: Record<string, Tensor>,
  what: Wanted,
  targetTensor: string,
  relu: ReluMode
): Promise<{
  session: Session;
  compiled: CompiledModel;
  cams: Record<string, string>;
}> {
  const camName = what.cam?.name ?? '';
  const key = `grad|${relu}|${targetTensor}|${camName}|${what.layers.join('|')}|${what.inputs.join('|')}|${shapeKey(feeds)}`;
  return sessions.cached(key, async () => {
    const pass = await sessions.shapePass(feeds);
    const compiled = compileGradients(sessions.model, {
      layers: what.layers,
      inputs: what.inputs,
      target: targetTensor,
      relu,
      shapes: pass.shapes,
      values: pass.constants
    });
    const cams = what.cam ? what.cam.append(compiled, pass.shapes) : {};
    return {
      session: await sessions.newSession(compiled.model),
      compiled,
      cams
    };
  });
}
