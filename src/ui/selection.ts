/**
 * What the user has chosen in one panel: the map (method, view, layer, output, class) and how it
 * is drawn (opacity, colormap, box). Plain state: the panel's model checks the choices and runs
 * what they need; this remembers the map last on screen, for a cancel to return to.
 */
import type { ColormapName } from '../engine/image';
import type { MethodName } from '../engine/methods';
import type { Normalisation } from './scale';
import type { View } from './tokens';

/** The choice of one map. */
export interface IMapChoice {
  /** The chosen method. */
  method: MethodName;
  /** What the main canvas shows. */
  view: View;
  /** The chosen layer's tensor name. */
  layer: string;
  /** The chosen class, or null before the scores are known. */
  target: number | null;
}

/** The user's choices in one panel. */
export class Selection implements IMapChoice {
  constructor(look: { opacity: number; colormap: ColormapName }) {
    this.opacity = look.opacity;
    this.colormap = look.colormap;
  }

  /** The chosen method. */
  method: MethodName = 'gradcam';
  /** What the main canvas shows: the method's map, Guided Grad-CAM or the counterfactual map. */
  view: View = 'map';
  /** The chosen layer's tensor name. */
  layer = '';
  /** The chosen class, or null before the scores are known. */
  target: number | null = null;
  /** The output whose scores are explained. */
  output = '';
  /** Opacity of the map over the picture, in [0, 1]. */
  opacity: number;
  /** The colormap of the overlay. */
  colormap: ColormapName;
  /** Whether the box is drawn. */
  showBox = true;
  /** How maps are normalised for display: each on its own, or on a scale shared by those compared. */
  normalisation: Normalisation = 'map';

  /** The method whose maps are shown: the chosen method, or the one the view asks for. */
  get shownMethod(): MethodName {
    switch (this.view) {
      case 'guided':
        return 'guided-gradcam';
      case 'counterfactual':
        return 'counterfactual';
      default:
        return this.method;
    }
  }

  /** The map on screen, as last remembered; null before one was shown. */
  get lastShown(): IMapChoice | null {
    return this._lastShown;
  }

  /** Remembers the current choice as the map on screen. */
  rememberShown(): void {
    this._lastShown = {
      method: this.method,
      view: this.view,
      layer: this.layer,
      target: this.target
    };
  }

  /** Goes back to the map last on screen; false when there is none. */
  restoreShown(): boolean {
    const shown = this._lastShown;
    if (!shown) {
      return false;
    }
    this.method = shown.method;
    this.view = shown.view;
    this.layer = shown.layer;
    this.target = shown.target;
    return true;
  }

  /** Forgets the map choice (a new source); the look stays. */
  resetMap(): void {
    this.layer = '';
    this.target = null;
    this.output = '';
    this.view = 'map';
    this._lastShown = null;
  }

  private _lastShown: IMapChoice | null = null;
}
