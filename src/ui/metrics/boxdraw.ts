/**
 * The box the localisation scores are measured against, over the main overlay: a dashed frame
 * `.jp-GradCAM-givenBox` (`data-source` = kernel or drawn), distinct from the map's own peak box
 * that the overlay paints solid into the canvas; and a drag on the picture that draws a new one.
 */
import type { ExplanationModel } from '../model';
import { boxFromDrag } from './box';
import type { MetricsModel } from './model';

/** Draws the given box over `canvas` and lets the user drag a new one. */
export class BoxDrawer {
  constructor(options: BoxDrawer.IOptions) {
    this._metrics = options.metrics;
    this._explanation = options.explanation;
    this._canvas = options.canvas;
    this._frame = document.createElement('div');
    this._frame.className = 'jp-GradCAM-givenBox';
    this._frame.hidden = true;
    this._canvas.insertAdjacentElement('afterend', this._frame);
    this._canvas.addEventListener('pointerdown', this._onDown);
    this._canvas.addEventListener('pointermove', this._onMove);
    this._canvas.addEventListener('pointerup', this._onUp);
    this._metrics.changed.connect(this.render, this);
    this._explanation.changed.connect(this.render, this);
  }

  /** Places the frame over the box's pixels (the canvas is scaled by CSS). */
  render(): void {
    const box = this._dragged ?? this._metrics.box?.corners ?? null;
    const picture = this._explanation.input?.picture;
    const canvas = this._canvas;
    if (!box || !picture || canvas.hidden || canvas.clientWidth === 0) {
      this._frame.hidden = true;
      return;
    }
    const sx = canvas.clientWidth / picture.width;
    const sy = canvas.clientHeight / picture.height;
    const style = this._frame.style;
    // Offsets within the canvas's offset parent, inside its border.
    style.left = `${canvas.offsetLeft + canvas.clientLeft + box[0] * sx}px`;
    style.top = `${canvas.offsetTop + canvas.clientTop + box[1] * sy}px`;
    style.width = `${(box[2] - box[0]) * sx}px`;
    style.height = `${(box[3] - box[1]) * sy}px`;
    this._frame.dataset.source = this._dragged
      ? 'dragging'
      : (this._metrics.box?.source ?? '');
    this._frame.dataset.box = box.join(',');
    this._frame.hidden = false;
  }

  /** Stops following the models. */
  dispose(): void {
    this._canvas.removeEventListener('pointerdown', this._onDown);
    this._canvas.removeEventListener('pointermove', this._onMove);
    this._canvas.removeEventListener('pointerup', this._onUp);
    this._frame.remove();
  }

  /** A pointer position in picture pixels. */
  private _at(event: PointerEvent): { x: number; y: number } | null {
    const picture = this._explanation.input?.picture;
    const canvas = this._canvas;
    if (!picture || canvas.clientWidth === 0) {
      return null;
    }
    return {
      x: (event.offsetX * picture.width) / canvas.clientWidth,
      y: (event.offsetY * picture.height) / canvas.clientHeight
    };
  }

  private _onDown = (event: PointerEvent): void => {
    if (event.button !== 0) {
      return;
    }
    this._start = this._at(event);
    if (this._start) {
      this._canvas.setPointerCapture?.(event.pointerId);
    }
  };

  private _onMove = (event: PointerEvent): void => {
    const picture = this._explanation.input?.picture;
    const at = this._at(event);
    if (!this._start || !at || !picture) {
      return;
    }
    this._dragged = boxFromDrag(this._start, at, picture);
    this.render();
  };

  private _onUp = (event: PointerEvent): void => {
    const picture = this._explanation.input?.picture;
    const at = this._at(event);
    const start = this._start;
    this._start = null;
    this._dragged = null;
    if (!start || !at || !picture) {
      return;
    }
    const box = boxFromDrag(start, at, picture);
    if (box) {
      this._metrics.setDrawnBox(box);
    }
    this.render();
  };

  private _metrics: MetricsModel;
  private _explanation: ExplanationModel;
  private _canvas: HTMLCanvasElement;
  private _frame: HTMLElement;
  private _start: { x: number; y: number } | null = null;
  private _dragged: [number, number, number, number] | null = null;
}

/** The BoxDrawer's companions. */
export namespace BoxDrawer {
  /** Options of a new box drawer. */
  export interface IOptions {
    /** The strip's model: holds the box. */
    metrics: MetricsModel;
    /** The panel's model: the picture. */
    explanation: ExplanationModel;
    /** The main overlay canvas. */
    canvas: HTMLCanvasElement;
  }
}
