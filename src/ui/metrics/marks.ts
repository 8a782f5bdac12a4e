/**
 * The recommended layer's mark in the layer select and the layer strip: "recommended" with its
 * score, and the criterion as the tooltip. The views ask `markOf(layer)`; a layer without a mark
 * gets none (null).
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import { CRITERION, MetricsModel } from './model';

/** A mark on one layer. */
export interface ILayerMark {
  /** Appended to the layer's text: ` - recommended (0.741)`. */
  text: string;
  /** The criterion, for the tooltip. */
  title: string;
  /** The criterion's value. */
  score: number;
}

/** Tells the views which layer is recommended. */
export type LayerMarks = (layer: string) => ILayerMark | null;

/** The marks of `metrics`' recommended layer. */
export function recommendedMarks(
  metrics: MetricsModel,
  trans: TranslationBundle
): LayerMarks {
  return layer => {
    const best = metrics.recommended;
    if (!best || best.layer !== layer) {
      return null;
    }
    return {
      text: trans.__(' - recommended (%1)', best.score.toFixed(3)),
      title: trans.__(
        'Recommended: %1 (insertion - deletion %2 at %3 steps)',
        CRITERION,
        best.score.toFixed(3),
        metrics.settings.rankSteps
      ),
      score: best.score
    };
  };
}

/** Marks (or unmarks) an element: class `jp-mod-recommended`, `data-score`, tooltip. */
export function markElement(
  element: HTMLElement,
  mark: ILayerMark | null
): void {
  element.classList.toggle('jp-mod-recommended', mark !== null);
  if (mark) {
    element.dataset.score = mark.score.toFixed(6);
    element.dataset.recommended = 'true';
  } else {
    delete element.dataset.score;
    delete element.dataset.recommended;
  }
}

/** Marks a thumbnail of the layer strip, with a badge "recommended 0.741" under its caption. */
export function markThumbnail(
  button: HTMLElement,
  mark: ILayerMark | null,
  trans: TranslationBundle
): void {
  markElement(button, mark);
  let badge = button.querySelector<HTMLElement>('.jp-GradCAM-recommendedBadge');
  if (!mark) {
    badge?.remove();
    return;
  }
  if (!badge) {
    badge = document.createElement('span');
    badge.className = 'jp-GradCAM-recommendedBadge';
    button.appendChild(badge);
  }
  badge.textContent = trans.__('recommended %1', mark.score.toFixed(3));
  badge.title = mark.title;
}
