/**
 * What a panel does with the shown map besides showing it: its export file name, and sending it
 * into the kernel's `jupyterlab_gradcam.results`. What sending last said belongs to the map it was
 * about: the panel shows it only while that map is on screen, and a repaint never erases it.
 */
import type { IResultDetails } from '../kernel/client';
import type { MethodName } from '../engine/methods';
import { exportFileName } from './names';
import type { ColormapName } from '../engine/image';
import type { ILegend } from './exportFigure';
import { formatValue, IScaleRange, Normalisation } from './scale';
import type { ILayer, IMap, ISource } from './tokens';

/** A sentence for the panel, as a translatable pattern and its arguments (`%1`, ...). */
export interface IMessage {
  /** The English pattern (the translation key). */
  pattern: string;
  /** The values of `%1`, `%2`, ... */
  args: string[];
}

/** The last send of a map to the kernel. */
export interface ISend {
  /** The map sent. */
  map: IMap;
  /** The key of `jupyterlab_gradcam.results` it went to. */
  name: string;
  /** Whether the kernel has taken it (false while sending or after a failure). */
  done: boolean;
  /** Why it failed, or null. */
  error: IMessage | null;
}

/** What the results need of the panel's model. */
export interface IShownMap {
  /** The map on screen, or null. */
  readonly current: IMap | null;
  /** The method whose map is shown. */
  readonly shownMethod: MethodName;
  /** The chosen layer. */
  readonly layer: string;
  /** The chosen class. */
  readonly target: number | null;
  /** The source, whose `sendResult` stores maps in the kernel. */
  readonly source: ISource | null;
  /** The model's layers (their captions and module names). */
  readonly layers: readonly ILayer[];
  /** How maps are normalised for display. */
  readonly normalisation: Normalisation;
  /** A map as drawn: on its own range, or on the shared scale. */
  shown(map: IMap): IMap;
  /** The class name of an index, or ''. */
  labelOf(index: number): string;
  /** The raw values the colour bar spans, or null (no raw map). */
  readonly scaleRange: IScaleRange | null;
  /** The overlay's colormap. */
  readonly colormap: ColormapName;
}

/** What each normalisation means, for the exported legend. */
const SCALE_WORDS: Record<Normalisation, string> = {
  map: 'raw values, the map stretched to its own range',
  classes: 'raw values, one scale for the classes compared',
  layers: 'raw values, one scale for the layers compared'
};

/** Export and send of the shown map. */
export class ShownMapResults {
  constructor(options: ShownMapResults.IOptions) {
    this._shown = options.shown;
    this._changed = options.changed;
  }

  /** Whether there is a map to export. */
  get canExport(): boolean {
    return this._shown.current !== null;
  }

  /** Whether the shown map can go to a kernel (a source with one). */
  get canSend(): boolean {
    return this.canExport && this._shown.source?.sendResult !== undefined;
  }

  /** The PNG file name of the shown map: class name, layer and method (`tabby-layer4.1-gradcam.png`). */
  get exportName(): string {
    const shown = this._shown;
    const map = shown.current;
    const target = map?.target ?? null;
    return exportFileName({
      className: target === null ? '' : shown.labelOf(target),
      target,
      layer: map?.layer === null ? null : shown.layer,
      layers: shown.layers,
      method: shown.shownMethod
    });
  }

  /**
   * The legend drawn into an export: the colour bar's raw values and a caption naming the class,
   * the layer, the method and the scale; null when the shown map has no raw values (an image).
   */
  get legend(): ILegend | null {
    const shown = this._shown;
    const map = shown.current;
    const range = shown.scaleRange;
    if (!map || !range) {
      return null;
    }
    const layer = shown.layers.find(l => l.name === map.layer);
    const className =
      map.target === null
        ? ''
        : `${shown.labelOf(map.target) || 'class'} (${map.target})`;
    const layerName = layer?.modules?.[0] ?? layer?.label ?? map.layer ?? '';
    return {
      colormap: shown.colormap,
      low: formatValue(range.low),
      high: formatValue(range.high),
      caption: [
        className,
        layerName,
        shown.shownMethod,
        SCALE_WORDS[range.normalisation]
      ]
        .filter(Boolean)
        .join(' \u00b7 ')
    };
  }

  /**
   * What goes to the kernel with a map besides its displayed values: its raw map at layer
   * resolution, and how the displayed values came from it (per-map min-max, or the shared
   * scale's value), with its layer, class and method.
   */
  detailsOf(map: IMap): IResultDetails {
    const shown = this._shown;
    const drawn = shown.shown(map);
    const layer = shown.layers.find(l => l.name === map.layer);
    const normalisation =
      drawn.scale !== undefined
        ? {
            kind: shown.normalisation,
            scale: drawn.scale,
            formula:
              'displayed = resize_bilinear(raw) / scale, clipped to [0, 1]'
          }
        : {
            kind: 'map',
            scale: null,
            formula:
              "displayed = min-max(resize_bilinear(min-max(raw))): the reference library's two passes"
          };
    return {
      ...(map.raw && map.rawSize
        ? {
            raw: {
              data: map.raw,
              shape: [map.rawSize.height, map.rawSize.width]
            }
          }
        : {}),
      meta: {
        method: shown.shownMethod,
        layer: map.layer,
        module: layer?.modules?.[0] ?? null,
        target: map.target,
        label: map.target === null ? null : shown.labelOf(map.target) || null,
        normalisation
      }
    };
  }

  /** The last send, while its map is the one on screen; null otherwise. */
  get lastSend(): Readonly<ISend> | null {
    const send = this._send;
    return send && send.map === this._shown.current ? send : null;
  }

  /** Puts the shown map (displayed values, input size) into `jupyterlab_gradcam.results[name]`. */
  async send(name: string): Promise<void> {
    const map = this._shown.current;
    const source = this._shown.source;
    if (!map || !source?.sendResult) {
      return;
    }
    const key = name.trim();
    const send: ISend = { map, name: key, done: false, error: null };
    this._send = send;
    if (!key) {
      send.error = {
        pattern:
          'Give the map a name to store it under in jupyterlab_gradcam.results.',
        args: []
      };
      this._changed();
      return;
    }
    this._changed();
    // The map as it is drawn (on the shared scale when one is chosen), with its raw map.
    const drawn = this._shown.shown(map);
    const shape =
      map.channels === 1
        ? [map.size.height, map.size.width]
        : [map.channels, map.size.height, map.size.width];
    try {
      await source.sendResult(key, drawn.map, shape, this.detailsOf(map));
      send.done = true;
    } catch (error) {
      send.error = {
        pattern: 'The kernel did not take the map: %1',
        args: [error instanceof Error ? error.message : String(error)]
      };
    }
    if (this._send === send) {
      this._changed();
    }
  }

  private _shown: IShownMap;
  private _changed: () => void;
  private _send: ISend | null = null;
}

/** The ShownMapResults' companions. */
export namespace ShownMapResults {
  /** Options of new results. */
  export interface IOptions {
    /** The panel's model. */
    shown: IShownMap;
    /** Told when a send starts or ends. */
    changed: () => void;
  }
}
