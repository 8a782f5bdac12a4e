/**
 * Where the extension's widgets live. Explanation panels: in the shell's right-hand area, one tab
 * per notebook, in JupyterLab and in Notebook 7 alike (Notebook 7's shell keeps one widget in its
 * main area and ignores a second one, so a split beside the notebook never appears there). Audit
 * views, which want width for their gallery: beside the notebook in JupyterLab's main area, and in
 * the right area where the shell has no main-area docking (Notebook 7).
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { Widget } from '@lumino/widgets';

/**
 * The widget type of the panels: the key under which the shells' layout settings
 * (`@jupyterlab/application-extension:shell` and `@jupyter-notebook/application-extension:shell`,
 * setting `layout`) can move them to another area.
 */
export const PANEL_TYPE = 'Grad-CAM';

/** The panels' rank in the right area: after JupyterLab's own side panels (property inspector, debugger). */
export const PANEL_RANK = 1000;

/** The class of the panels' icon in the side bar (style/base.css draws it). */
export const PANEL_ICON_CLASS = 'jp-GradCAM-icon';

/** The right area as Notebook 7's shell has it: it opens side panels with expandRight. */
interface IRightExpandingShell {
  expandRight(id?: string): void;
}

/**
 * Puts `panel` in the right area (unless it is attached already), shows it, and gives the focus back
 * to `keepFocus` (the notebook: the panel sits beside it, not in its place).
 */
export function showInRightArea(
  shell: JupyterFrontEnd.IShell,
  panel: Widget,
  keepFocus: Widget | null
): void {
  panel.title.iconClass = PANEL_ICON_CLASS;
  // Once attached, the panel stays where it is: a layout setting may have put it elsewhere.
  if (!panel.isAttached) {
    shell.add(panel, 'right', { rank: PANEL_RANK, type: PANEL_TYPE });
  }
  shell.activateById(panel.id);
  // Notebook 7's activateById looks through the main, top and menu areas only.
  if (!panel.isVisible && hasExpandRight(shell)) {
    shell.expandRight(panel.id);
  }
  if (keepFocus && !keepFocus.isDisposed) {
    shell.activateById(keepFocus.id);
  }
}

/**
 * Puts `view` to the right of `notebook` in the main area where the shell docks several main
 * widgets (JupyterLab: its shell has a dock `mode`), else in the right area; and shows it.
 */
export function showBesideNotebook(
  shell: JupyterFrontEnd.IShell,
  view: Widget,
  notebook: Widget
): void {
  if (!docksMainArea(shell)) {
    showInRightArea(shell, view, null);
    return;
  }
  if (!view.isAttached) {
    shell.add(view, 'main', { mode: 'split-right', ref: notebook.id });
  }
  shell.activateById(view.id);
}

/** JupyterLab's shell docks main widgets side by side (its `mode`); Notebook 7's keeps one. */
function docksMainArea(shell: JupyterFrontEnd.IShell): boolean {
  return 'mode' in shell;
}

function hasExpandRight(
  shell: JupyterFrontEnd.IShell
): shell is JupyterFrontEnd.IShell & IRightExpandingShell {
  return (
    typeof (shell as Partial<IRightExpandingShell>).expandRight === 'function'
  );
}
