/**
 * The thumbnails of explain() outputs: for each explain() call (by its handle), the latest overlay
 * a panel showed for it, so that the output in the notebook keeps a picture of what was seen.
 * Panels publish; the inline renderers only read and follow (they never compute a map, so that
 * opening a notebook with many outputs starts no model run).
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { MapSize } from '../engine/image';
import { fitSize } from './paint';
import type { IOutputPreview, IOutputPreviews } from './tokens';

export type { IOutputPreview } from './tokens';

/** Thumbnails of explain() outputs are shown this many CSS pixels on their long side. */
export const PREVIEW_SIZE = 160;

/**
 * The sizes of the thumbnail of a `size` picture: drawn at the picture's size shrunk to fit
 * PREVIEW_SIZE (never enlarged: that adds no detail), shown with its long side at PREVIEW_SIZE.
 */
export function previewSizes(size: MapSize): {
  drawn: MapSize;
  shown: MapSize;
} {
  return {
    drawn: fitSize(size, PREVIEW_SIZE),
    shown: fitSize(size, PREVIEW_SIZE, true)
  };
}

/** The latest thumbnail of each explain() call, by handle. */
export class OutputPreviews implements IOutputPreviews, IDisposable {
  constructor(options: OutputPreviews.IOptions = {}) {
    this._limit = Math.max(1, options.limit ?? OutputPreviews.DEFAULT_LIMIT);
  }

  /** Emitted with the handle whose thumbnail changed (or was dropped). */
  get changed(): ISignal<this, string> {
    return this._changed;
  }

  /** How many thumbnails are held. */
  get size(): number {
    return this._previews.size;
  }

  /** The latest thumbnail of the explain() call `handle`, or null. */
  get(handle: string): IOutputPreview | null {
    return this._previews.get(handle) ?? null;
  }

  /**
   * Holds `preview` as the thumbnail of `handle`; tells the renderers only when it differs from
   * the one held. Beyond the limit, the thumbnail added longest ago is dropped. Disposing the
   * answer forgets this thumbnail, unless a newer one of `handle` replaced it.
   */
  add(handle: string, preview: IOutputPreview): IDisposable {
    const forget = disposable(() => {
      if (this._previews.get(handle) === preview) {
        this.delete(handle);
      }
    });
    if (this._isDisposed) {
      forget.dispose();
      return forget;
    }
    const held = this._previews.get(handle);
    // Re-inserted: the most recently set are the last of the map, the first to drop are first.
    this._previews.delete(handle);
    this._previews.set(handle, preview);
    while (this._previews.size > this._limit) {
      const oldest = this._previews.keys().next().value as string;
      this._previews.delete(oldest);
      this._changed.emit(oldest);
    }
    if (!held || !samePreview(held, preview)) {
      this._changed.emit(handle);
    }
    return forget;
  }

  /** Forgets the thumbnail of `handle`. */
  delete(handle: string): void {
    if (this._previews.delete(handle)) {
      this._changed.emit(handle);
    }
  }

  /** Whether the registry is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Forgets every thumbnail and disconnects the renderers. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._previews.clear();
    Signal.clearData(this);
  }

  private _limit: number;
  private _previews = new Map<string, IOutputPreview>();
  private _changed = new Signal<this, string>(this);
  private _isDisposed = false;
}

/** The OutputPreviews' companions. */
export namespace OutputPreviews {
  /** Options of a new registry. */
  export interface IOptions {
    /** How many thumbnails are held at most (PNGs of ~160 px: tens of kB each). */
    limit?: number;
  }

  /** The default limit: more explain() outputs than a notebook usually shows. */
  export const DEFAULT_LIMIT = 200;
}

/** An IDisposable that runs `dispose` once. */
function disposable(dispose: () => void): IDisposable {
  let isDisposed = false;
  return {
    get isDisposed() {
      return isDisposed;
    },
    dispose() {
      if (!isDisposed) {
        isDisposed = true;
        dispose();
      }
    }
  };
}

function samePreview(a: IOutputPreview, b: IOutputPreview): boolean {
  return (
    a.url === b.url &&
    a.width === b.width &&
    a.height === b.height &&
    a.method === b.method &&
    a.layer === b.layer &&
    a.target === b.target &&
    a.label === b.label &&
    a.error === b.error &&
    JSON.stringify(a.figure ?? null) === JSON.stringify(b.figure ?? null)
  );
}
