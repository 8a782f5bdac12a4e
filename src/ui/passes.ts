/**
 * The passes a panel has computed and what the next one must compute. A pass is one engine run
 * of one method for one output: every candidate layer x the top-k classes (and the chosen class),
 * so that later switches of layer or class need no run. Costly methods (one model run per channel
 * or more) compute the shown layer and class only.
 */
import { methodTraits } from '../engine/methods';
import type { MethodName } from '../engine/methods';
import type { IExplainResult, IMap } from './tokens';

/** Whether `method`'s map depends on a layer (the engine's table of method traits says). */
export function usesLayer(method: MethodName): boolean {
  return methodTraits(method).usesLayer;
}

/** What one engine run must compute. */
export interface IPassPlan {
  /** The layers (none for input methods). */
  layers: string[];
  /** The classes the cache lacks (at least the chosen one). */
  targets: number[];
}

/** What a pass is planned for. */
export interface IPassWanted {
  /** Every explainable layer, in graph order. */
  layers: readonly string[];
  /** The chosen layer. */
  layer: string;
  /** The chosen class. */
  target: number;
  /** The top-k classes the compare strip shows. */
  topTargets: readonly number[];
}

/** The maps computed so far, by method, output, layer and class. */
export class PassCache {
  /** The cached map of `method` on `output` for `layer` and `target`, or null. */
  mapAt(
    method: MethodName,
    output: string,
    layer: string | null,
    target: number | null
  ): IMap | null {
    const pass = this._passes.get(passKey(method, output));
    return pass?.get(mapKey(method, layer, target)) ?? null;
  }

  /** The layers and classes one run must compute for the wanted map and its neighbours. */
  plan(method: MethodName, output: string, wanted: IPassWanted): IPassPlan {
    const costly = methodTraits(method).costly;
    const layers = !usesLayer(method)
      ? []
      : costly
        ? [wanted.layer]
        : [...wanted.layers];
    const classes = costly
      ? [wanted.target]
      : [...new Set([...wanted.topTargets, wanted.target])];
    const pass = this._passes.get(passKey(method, output));
    const lacking = classes.filter(
      t => !pass?.has(mapKey(method, layers[0] ?? null, t))
    );
    return {
      layers,
      targets: lacking.length > 0 ? lacking : [wanted.target]
    };
  }

  /** What `method`'s target on `output` is when it is not the output itself, else ''. */
  targetNote(method: MethodName, output: string): string {
    return this._notes.get(passKey(method, output)) ?? '';
  }

  /** Keeps the maps of one run, and its note on the target. */
  store(method: MethodName, output: string, result: IExplainResult): void {
    const key = passKey(method, output);
    const pass = this._passes.get(key) ?? new Map<string, IMap>();
    // A map already shown keeps its object (a pass recomputes the first map it showed: the same
    // values from a larger graph; a new object would redraw it and rewrite its saved figure).
    for (const map of result.maps) {
      const slot = mapKey(method, map.layer, map.target);
      if (!pass.has(slot)) {
        pass.set(slot, map);
      }
    }
    this._passes.set(key, pass);
    this._notes.set(key, result.targetNote);
  }

  /** Forgets every pass (another source or output). */
  clear(): void {
    this._passes.clear();
    this._notes.clear();
  }

  private _passes = new Map<string, Map<string, IMap>>();
  private _notes = new Map<string, string>();
}

function passKey(method: MethodName, output: string): string {
  return `${method}|${output}`;
}

/** Methods without a layer have one map per class, without a target one per layer. */
function mapKey(
  method: MethodName,
  layer: string | null,
  target: number | null
): string {
  const keyLayer = usesLayer(method) ? (layer ?? '') : '';
  const keyTarget = methodTraits(method).hasTarget ? String(target) : '';
  return `${keyLayer}|${keyTarget}`;
}
