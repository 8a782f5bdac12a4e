/**
 * The panel's line about the engine: which backend ran the model (wasm or webgpu), and what the
 * engine found noteworthy in the model (`modelNotes`: an old opset raised, a head that fixes the
 * batch, symbolic sizes). A refusal of the model is an error, shown as errors are.
 * Hooks: `.jp-GradCAM-engine` (`data-backend`), its `.jp-GradCAM-engineNote` items.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

/** What the line shows. */
export interface IEngineInfo {
  /** The backend that ran the model; '' before a model is loaded. */
  backend: string;
  /** The engine's notes on the model. */
  notes: readonly string[];
}

/** The element of the line (rendered by `renderEngineInfo`). */
export function engineInfoElement(): HTMLElement {
  const node = document.createElement('div');
  node.className = 'jp-GradCAM-engine';
  node.hidden = true;
  return node;
}

/** Shows the backend and the notes; hidden before a model is loaded. */
export function renderEngineInfo(
  node: HTMLElement,
  info: IEngineInfo,
  trans: TranslationBundle
): void {
  node.hidden = info.backend === '';
  node.dataset.backend = info.backend;
  const key = `${info.backend}\n${info.notes.join('\n')}`;
  if (node.dataset.key === key) {
    return;
  }
  node.dataset.key = key;
  node.replaceChildren();
  const backend = document.createElement('span');
  backend.className = 'jp-GradCAM-engineBackend';
  backend.textContent = trans.__('Backend: %1', info.backend);
  node.append(backend);
  if (info.notes.length > 0) {
    const list = document.createElement('ul');
    for (const note of info.notes) {
      const item = document.createElement('li');
      item.className = 'jp-GradCAM-engineNote';
      item.textContent = note;
      list.append(item);
    }
    node.append(list);
  }
}
