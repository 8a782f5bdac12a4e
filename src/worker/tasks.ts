/**
 * Engine functions the page may run in the worker by name, over one loaded model (the `task`
 * request): work that needs an Explainer beyond explain and predict. Each entry takes plain data
 * (structured-cloneable) and answers plain data, and runs with the request's cancel and progress.
 * Add an entry here to make another engine function available to the panel.
 */
import type { Explainer } from '../engine';
import type { ExplainRequest, RunOptions } from '../engine/explain/types';
import { scoreExplanation } from '../engine/metrics';
import type { LayerMetrics, MetricOptions } from '../engine/metrics';

/** The tasks, by name, with their arguments and answers. */
export const TASKS = {
  /**
   * The metrics of each layer's map of one request (engine/metrics `scoreExplanation`): the
   * request is explained in the worker, where its maps are, then scored.
   */
  scoreExplanation: async (
    explainer: Explainer,
    args: {
      request: ExplainRequest;
      target?: number;
      options?: Omit<MetricOptions, 'signal' | 'onProgress'>;
    },
    run: RunOptions
  ): Promise<LayerMetrics[]> => {
    const explanation = await explainer.explain(args.request, {
      signal: run.signal
    });
    return scoreExplanation(
      explainer,
      args.request.feeds,
      explanation,
      { target: args.target },
      { ...args.options, ...run }
    );
  }
};

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
