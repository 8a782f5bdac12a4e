/**
 * Beside the layer select: the chosen layer's ONNX tensor and module names
 * (`.jp-GradCAM-layerNames`), and the "All layers" toggle (`input.jp-GradCAM-allLayers`) that
 * lists the plumbing layers the select hides (Pad, Identity, Reshape, ...).
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import { isPlumbing } from '../engine/layerNames';
import { layerNamesLine } from './names';
import type { ILayer } from './tokens';

/** The names line and the toggle of one layer select. */
export interface ILayerNamesView {
  /** Whether plumbing layers are listed too. */
  readonly all: boolean;
  /** Shows the chosen layer's names and how many layers are hidden. */
  render(layers: readonly ILayer[], chosen: string): void;
}

/** Adds the names line and the toggle after the select's field; `changed` re-lists the layers. */
export function layerNamesView(
  select: HTMLSelectElement,
  trans: TranslationBundle,
  changed: () => void
): ILayerNamesView {
  const field = select.parentElement as HTMLElement;
  const line = document.createElement('div');
  line.className = 'jp-GradCAM-layerNames';
  const toggleField = document.createElement('label');
  toggleField.className = 'jp-GradCAM-field';
  const text = document.createElement('span');
  const toggle = document.createElement('input');
  toggle.type = 'checkbox';
  toggle.className = 'jp-GradCAM-allLayers';
  toggle.title = trans.__(
    'Also list layers that only move data (Pad, Identity, Reshape, Flatten, Cast, ...): their maps repeat their input\u2019s'
  );
  toggle.onchange = changed;
  toggleField.append(text, toggle);
  field.after(toggleField, line);
  return {
    get all() {
      return toggle.checked;
    },
    render(layers, chosen) {
      const layer = layers.find(l => l.name === chosen);
      line.textContent = layerNamesLine(layer);
      line.title = line.textContent;
      const hidden = layers.filter(l => isPlumbing(l.op)).length;
      text.textContent = trans.__('All layers (+%1 plumbing)', hidden);
      toggleField.hidden = hidden === 0;
    }
  };
}
