/**
 * Engine functions the page may run in the worker by name, over one loaded model (the `task`
 * request): work that needs an Explainer beyond explain and predict. Each entry takes plain data
 * (structured-cloneable) and answers plain data, and runs with the request's cancel and progress.
 * Add an entry here to make another engine function available to the panel.
 */
import type { Explainer } from '../engine';
import type { RunOptions } from '../engine/explain/types';
import {
  encodeExplainGraph,
  exportExplainGraph
} from '../engine/export/explainGraph';
import type { ExportOptions } from '../engine/export/explainGraph';
import { scoreMap } from '../engine/metrics';
import type { MapMetrics, MapToScore, MetricOptions } from '../engine/metrics';

/** The tasks, by name, with their arguments and answers. */
export const TASKS = {
  /**
   * The metrics of one displayed map (engine/metrics `scoreMap`): the panel's metrics strip sends
   * the map it shows, the worker runs the perturbed inputs.
   */
  scoreMap: (
    explainer: Explainer,
    args: {
      item: MapToScore;
      options?: Omit<MetricOptions, 'signal' | 'onProgress'>;
    },
    run: RunOptions
  ): Promise<MapMetrics> =>
    scoreMap(explainer, args.item, { ...args.options, ...run }),

  /**
   * The explain graph of the model (engine/export, as the `compile` verb writes it) as ONNX bytes:
   * the panel's Save explain graph. It compiles here because on a 224 px model the compile holds
   * its thread for seconds. The model's bytes come with the request (the Explainer keeps only its
   * decoded graph); the answer owns its buffer, which travels back transferred (host.ts).
   */
  explainGraph: async (
    explainer: Explainer,
    args: { model: Uint8Array; options: GraphOptions },
    run: RunOptions
  ): Promise<Uint8Array> => {
    const bytes = encodeExplainGraph(
      await exportExplainGraph(args.model, args.options)
    );
    // The compile cannot stop midway: a cancelled one ends here, its graph unsent.
    if (run.signal?.aborted) {
      throw new Error('cancelled');
    }
    // A view of a larger (pooled) buffer would send that whole buffer, or other data with it.
    return bytes.byteOffset === 0 &&
      bytes.byteLength === bytes.buffer.byteLength
      ? bytes
      : new Uint8Array(bytes);
  }
};

/** What an explain graph is compiled for: the method, the layers, the output, the model's name. */
export type GraphOptions = Required<
  Pick<ExportOptions, 'method' | 'layers' | 'targetOutput' | 'modelName'>
>;

/** A task's name. */
export type TaskName = keyof typeof TASKS;

/** The arguments of task `T`. */
export type TaskArgs<T extends TaskName> = Parameters<(typeof TASKS)[T]>[1];

/** The answer of task `T`. */
export type TaskResult<T extends TaskName> = Awaited<
  ReturnType<(typeof TASKS)[T]>
>;

/** Runs task `name` on `explainer`; an unknown name is refused in words. */
export function runTask(
  name: string,
  explainer: Explainer,
  args: unknown,
  run: RunOptions
): Promise<unknown> {
  if (!Object.prototype.hasOwnProperty.call(TASKS, name)) {
    throw new Error(
      `the engine's worker has no task '${name}'; it has ${Object.keys(TASKS).join(', ')}`
    );
  }
  return TASKS[name as TaskName](explainer, args as never, run);
}
