/**
 * Publishes the thumbnail of the explain() output a panel shows, once the changes have settled
 * (a drag of the opacity slider draws it once, after the drag, never inside a frame of it), and
 * only when what it shows changed. The renderers of the outputs read it from the OutputPreviews
 * registry; they never compute a map.
 */
import type { IDisposable } from '@lumino/disposable';

import type { ColormapName, RgbImage } from '../engine/image';
import { drawFigure, IFigure } from './figure';
import type { ExplanationModel } from './model';
import { previewSizes } from './previews';
import { ThumbnailPainter } from './thumbnails';
import type { IMap, IOutputPreviews } from './tokens';

/** Follows one panel's model and hands its thumbnail to the registry. */
export class PreviewPublisher implements IDisposable {
  constructor(options: PreviewPublisher.IOptions) {
    this._model = options.model;
    this._previews = options.previews;
    this._model.changed.connect(this._onChange, this);
  }

  /** Whether the publisher is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Stops following the model; a scheduled thumbnail is not drawn. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    clearTimeout(this._timer);
    this._model.changed.disconnect(this._onChange, this);
  }

  private _onChange(
    _: ExplanationModel,
    change: ExplanationModel.Change
  ): void {
    if (change === 'source') {
      this._firstShown = true;
    }
    if (
      change === 'selection' ||
      change === 'display' ||
      change === 'source' ||
      change === 'state'
    ) {
      clearTimeout(this._timer);
      this._timer = setTimeout(
        () => this._publish(),
        PreviewPublisher.SETTLE_MS
      );
    }
  }

  /** Draws the shown map small, with the overlay's colormap, opacity and box, and publishes it. */
  private _publish(): void {
    const model = this._model;
    const input = model.input;
    const map = model.current;
    // A pass draws its first map while it computes the rest (a shared scale may still change):
    // the output's thumbnail and saved figure wait for its end (a 'state' change schedules them).
    if (this._isDisposed || !model.handle || model.state === 'running') {
      return;
    }
    if (model.state === 'error' && !map) {
      this._publishError();
      return;
    }
    if (!input || !map) {
      return;
    }
    const look: Look = {
      map,
      picture: input.picture,
      handle: model.handle,
      method: model.shownMethod,
      opacity: model.opacity,
      colormap: model.colormap,
      box: model.showBox,
      normalisation: model.normalisation
    };
    const last = this._look;
    if (
      last &&
      (Object.keys(look) as (keyof Look)[]).every(
        key => look[key] === last[key]
      )
    ) {
      return; // a repaint with nothing new (a progress tick, a setting that changed nothing)
    }
    this._look = look;
    const picture = input.picture;
    const sizes = previewSizes({
      height: picture.height,
      width: picture.width
    });
    const canvas = document.createElement('canvas');
    this._painter.draw(canvas, picture, map, sizes.drawn, {
      opacity: look.opacity,
      colormap: look.colormap,
      box: look.box
    });
    const label = map.target === null ? '' : model.labelOf(map.target);
    this._previews.add(model.handle, {
      url: canvas.toDataURL('image/png'),
      width: sizes.shown.width,
      height: sizes.shown.height,
      method: look.method,
      layer: map.layer ?? '',
      target: map.target,
      label,
      figure: this._figure(look, label)
    });
    this._firstShown = false;
  }

  /** The figure the output saves in the notebook: what the panel's overlay shows, full size. */
  private _figure(look: Look, label: string): IFigure {
    const model = this._model;
    const map = look.map;
    const scores = model.listedClasses.find(c => c.index === map.target);
    return {
      ...drawFigure(this._figurePainter, look.picture, model.shown(map), look),
      facts: {
        method: look.method,
        layer: map.layer ?? '',
        target: map.target,
        label,
        score: scores && Number.isFinite(scores.score) ? scores.score : null,
        probability:
          scores && Number.isFinite(scores.probability)
            ? scores.probability
            : null,
        output: model.output,
        colormap: look.colormap,
        opacity: look.opacity
      },
      firstShown: this._firstShown
    };
  }

  /** The output says that its explanation failed, and why (no picture of an earlier map). */
  private _publishError(): void {
    const model = this._model;
    this._look = null;
    this._previews.add(model.handle, {
      url: '',
      width: 0,
      height: 0,
      method: model.shownMethod,
      layer: '',
      target: null,
      label: '',
      error: model.error
    });
  }

  private _model: ExplanationModel;
  private _previews: IOutputPreviews;
  private _painter = new ThumbnailPainter();
  // A painter of its own: the figure's size differs from the thumbnail's, and each keeps one.
  private _figurePainter = new ThumbnailPainter();
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _look: Look | null = null;
  // Until a map of the output now shown is published: that map is the call's, not the user's.
  private _firstShown = true;
  private _isDisposed = false;
}

/** The PreviewPublisher's companions. */
export namespace PreviewPublisher {
  /** Options of a new publisher. */
  export interface IOptions {
    /** The panel's model. */
    model: ExplanationModel;
    /** Where the thumbnails go. */
    previews: IOutputPreviews;
  }

  /** Milliseconds without a change before the thumbnail is drawn. */
  export const SETTLE_MS = 150;
}

/** What a published thumbnail showed: another one is drawn only when something here changes. */
interface Look {
  map: IMap;
  picture: RgbImage;
  handle: string;
  method: string;
  opacity: number;
  colormap: ColormapName;
  box: boolean;
  normalisation: string;
}
