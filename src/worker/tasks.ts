/**
 * Engine functions the page may run in the worker by name, over one loaded model (the `task`
 * request): work that needs an Explainer beyond explain and predict. Each entry takes plain data
 * (structured-cloneable) and answers plain data, and runs with the request's cancel and progress.
 * Add an entry here to make another engine function available to the panel.
 */
import type { Explainer } from '../engine';
import type { RunOptions } from '../engine/explain/types';
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
    scoreMap(explainer, args.item, { ...args.options, ...run })
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
