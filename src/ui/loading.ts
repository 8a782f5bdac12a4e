/**
 * Opening a source's model: the engine loaded with an error that names the source, and the
 * explain() options checked against what the model has (its layers, outputs and the methods),
 * each refusal naming the option and what would be right.
 */
import { resolveLayer } from '../engine/layerNames';
import { isMethodName, METHOD_NAMES } from '../engine/methods';
import type { MethodName } from '../engine/methods';
import type { EngineLoader, IEngine, IExplainOptions, ILayer } from './tokens';

/** The engine for `model`'s bytes; a failure says whose model it was. */
export async function openEngine(
  loadEngine: EngineLoader,
  model: Uint8Array,
  options: { backend: 'auto' | 'webgpu' | 'wasm'; label: string }
): Promise<IEngine> {
  try {
    return await loadEngine(model, { backend: options.backend });
  } catch (error) {
    // Say whose model it is: the engine's message alone names no source.
    throw new Error(
      `cannot load the model of ${options.label}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error }
    );
  }
}

/** The first map an explain() call asks for, checked against the model. */
export interface IFirstChoice {
  /** The layer to show first. */
  layer: string;
  /** The output whose scores are explained. */
  output: string;
  /** The class to show first; null for the top class once the scores are known. */
  target: number | null;
  /** The method to compute first. */
  method: MethodName;
}

/**
 * The layer, output, class and method an explain() call asks for, or the model's defaults;
 * throws a sentence naming the option when the model has no such layer, output or method.
 */
export function firstChoice(
  options: IExplainOptions,
  layers: readonly ILayer[],
  outputs: readonly string[]
): IFirstChoice {
  // A module name (`layer4.1`) means its tensor; a miss names the nearest few layers.
  let asked: string | undefined;
  try {
    asked = options.layer ? resolveLayer(options.layer, layers) : undefined;
  } catch (error) {
    throw new Error(`explain() asked for layer: ${(error as Error).message}`, {
      cause: error
    });
  }
  const output = options.target_output;
  if (output && !outputs.includes(output)) {
    throw new Error(
      `explain() asked for output '${output}'; the model's outputs are ${outputs.join(', ')}`
    );
  }
  const method = options.method || 'gradcam';
  if (!isMethodName(method)) {
    throw new Error(
      `explain() asked for method '${method}'; expected one of ${METHOD_NAMES.join(', ')}`
    );
  }
  return {
    layer: asked ?? defaultLayer(layers),
    output: output ?? outputs[0] ?? '',
    target: options.target ?? null,
    method
  };
}

/**
 * The layer the engine marked as the default (engine/layers.ts chooses it); a model where no
 * layer qualifies shows its last layer, and one without layers none.
 */
function defaultLayer(layers: readonly ILayer[]): string {
  return (
    layers.find(l => l.isDefault)?.name ?? layers[layers.length - 1]?.name ?? ''
  );
}
