/**
 * One explanation panel per notebook, as a tab of the shell's right-hand area, and one kernel
 * client per notebook: opens a panel for an explain() output, follows the notebook's active cell
 * (and the current notebook), passes settings on to every panel (the .onnx file panels included),
 * reopens panels after a page reload, and disposes a notebook's panel and client with the notebook.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { WidgetTracker } from '@jupyterlab/apputils';
import type { ICodeCellModel } from '@jupyterlab/cells';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { ITranslator } from '@jupyterlab/translation';

import { installHint } from '../kernel/availability';
import { GradCAMKernelClient } from '../kernel/client';
import { kernelRequests, kernelVariables } from './kernel';
import { checkedRequests } from './kernelcheck';
import { GradCAMPanel } from './panel';
import { showInRightArea } from './placement';
import type { IServerFiles } from './serverFiles';
import { MIME_TYPE } from './renderer';
import { KernelSource } from './sources';
import type {
  EngineLoader,
  IExplainOptions,
  IExplanationPanels,
  IOutputPreviews,
  IPanelSettings,
  ISource
} from './tokens';

/** The panels of all notebooks (and of .onnx files). */
export class ExplanationPanels implements IExplanationPanels {
  constructor(options: ExplanationPanels.IOptions) {
    this._shell = options.shell;
    this._notebooks = options.notebooks;
    this._translator = options.translator;
    this._loadEngine = options.loadEngine;
    this._settings = options.settings;
    this._previews = options.previews;
    this._files = options.files;
    this._isLite = options.isLite ?? false;
    this._tracker = options.tracker ?? null;
    this._notebooks.activeCellChanged.connect(this._followActiveCell, this);
    this._notebooks.currentChanged.connect(this._followNotebook, this);
  }

  /** Creates a panel that follows the settings (the .onnx file panels use this). */
  createPanel(): GradCAMPanel {
    const panel = new GradCAMPanel({
      loadEngine: this._loadEngine,
      translator: this._translator,
      settings: this._settings,
      previews: this._previews,
      files: this._files
    });
    this._all.add(panel);
    panel.disposed.connect(() => this._all.delete(panel));
    return panel;
  }

  /**
   * Opens the current notebook's panel (a free one without a notebook) and shows the active
   * cell's explanation when it has one.
   */
  openForCurrent(): GradCAMPanel {
    const notebook = this._notebooks.currentWidget;
    if (!notebook) {
      const panel =
        this._free && !this._free.isDisposed ? this._free : this.createPanel();
      this._free = panel;
      this._track(panel, null);
      this._attach(panel, null);
      return panel;
    }
    const panel = this._panelOf(notebook);
    const options = explainOutputOf(notebook.content.activeCell?.model);
    if (options) {
      void panel.showSource(this._source(notebook, options));
    }
    return panel;
  }

  /**
   * Reopens a panel after a page reload (the layout restorer): the panel of the notebook at
   * `path`, showing the explain() output with `handle` when the notebook still has it. Null when
   * that notebook was not reopened.
   */
  async restore(path: string, handle: string): Promise<GradCAMPanel | null> {
    if (!path) {
      return this.openForCurrent();
    }
    // The notebooks are reopened by their own restorer; wait for them, but not for ever.
    await Promise.race([
      this._notebooks.restored,
      new Promise(resolve => setTimeout(resolve, RESTORE_WAIT_MS))
    ]);
    const notebook = this._notebooks.find(n => n.context.path === path);
    if (!notebook) {
      return null;
    }
    const panel = this._panelOf(notebook);
    // Not awaited: a notebook's context waits for the app to be restored, which waits for this.
    void notebook.context.ready.then(() => {
      const options = handle ? explainOutputWithHandle(notebook, handle) : null;
      if (options && !panel.isDisposed) {
        void panel.showSource(this._source(notebook, options));
      }
    });
    return panel;
  }

  /** What the layout restorer records of a panel: its notebook's path and the handle shown. */
  restoreArgs(panel: GradCAMPanel): { path: string; handle: string } {
    return { path: this._paths.get(panel) ?? '', handle: panel.model.handle };
  }

  /** Shows an explain() output in the panel of the notebook that holds `node`. */
  showOutput(options: IExplainOptions, node: HTMLElement): void {
    const notebook = this._notebooks.find(n => n.node.contains(node));
    if (!notebook) {
      return;
    }
    void this._panelOf(notebook).showSource(this._source(notebook, options));
  }

  /** Whether the notebook's active cell has an explain() output. */
  activeCellHasExplanation(): boolean {
    return explainOutputOf(this._notebooks.activeCell?.model) !== null;
  }

  /** Opens the panel for a cell that has just run and displayed an explain() output. */
  showExecutedCell(notebook: NotebookPanel, cellModel: unknown): void {
    const options = explainOutputOf(cellModel);
    if (options) {
      void this._panelOf(notebook).showSource(this._source(notebook, options));
    }
  }

  /** Shows any source (an audit's image) in the panel beside `notebook`. */
  showSourceIn(notebook: NotebookPanel, source: ISource): void {
    void this._panelOf(notebook).showSource(source);
  }

  /** The notebook's kernel client: one per notebook, for its panel and its audit views. */
  clientOf(notebook: NotebookPanel): GradCAMKernelClient {
    let client = this._clients.get(notebook);
    if (!client || client.isDisposed) {
      client = new GradCAMKernelClient({
        sessionContext: notebook.sessionContext,
        installHint: installHint(this._isLite)
      });
      this._clients.set(notebook, client);
      notebook.disposed.connect(() => client!.dispose());
    }
    return client;
  }

  /** Passes new settings to every panel. */
  updateSettings(settings: Partial<IPanelSettings>): void {
    this._settings = { ...this._settings, ...settings };
    for (const panel of this._all) {
      panel.updateSettings(settings);
    }
  }

  /** The notebook's panel, created and put in the right area when needed, and shown. */
  private _panelOf(notebook: NotebookPanel): GradCAMPanel {
    let panel = this._panels.get(notebook);
    if (!panel || panel.isDisposed) {
      panel = this.createPanel();
      panel.title.caption = notebook.title.label;
      panel.offerKernelVariables(kernelVariables(this.clientOf(notebook)));
      this._panels.set(notebook, panel);
      this._track(panel, notebook);
      notebook.disposed.connect(() => {
        this._panels.get(notebook)?.dispose();
        this._panels.delete(notebook);
        this._clients.get(notebook)?.dispose();
        this._clients.delete(notebook);
      });
    }
    this._attach(panel, notebook);
    return panel;
  }

  private _attach(panel: GradCAMPanel, notebook: NotebookPanel | null): void {
    showInRightArea(this._shell, panel, notebook);
  }

  /**
   * Lets the layout restorer reopen the panel after a reload: it records the notebook's path and
   * the explain() handle shown, again whenever the panel shows another one.
   */
  private _track(panel: GradCAMPanel, notebook: NotebookPanel | null): void {
    const tracker = this._tracker;
    if (!tracker) {
      return;
    }
    this._paths.set(panel, notebook ? notebook.context.path : '');
    void tracker.add(panel);
    let saved = panel.model.handle;
    panel.model.changed.connect(model => {
      if (model.handle !== saved && !panel.isDisposed) {
        saved = model.handle;
        void tracker.save(panel);
      }
    });
    notebook?.context.pathChanged.connect((_, path) => {
      this._paths.set(panel, path);
      if (!panel.isDisposed) {
        void tracker.save(panel);
      }
    });
  }

  private _source(
    notebook: NotebookPanel,
    options: IExplainOptions
  ): KernelSource {
    return new KernelSource({
      kernel: checkedRequests(
        kernelRequests(this.clientOf(notebook)),
        notebook.sessionContext,
        this._isLite
      ),
      options,
      label: notebook.title.label
    });
  }

  /** When the active cell of a notebook with a visible panel has an explain() output, show it. */
  private _followActiveCell(tracker: INotebookTracker): void {
    const notebook = tracker.currentWidget;
    const panel = notebook ? this._panels.get(notebook) : undefined;
    if (!notebook || !panel || panel.isDisposed || !panel.isVisible) {
      return;
    }
    const options = explainOutputOf(notebook.content.activeCell?.model);
    if (options) {
      void panel.showSource(this._source(notebook, options));
    }
  }

  /**
   * When another notebook becomes current while a Grad-CAM panel is on show, that notebook's
   * panel (if it has one) takes its place: the right area shows the current notebook's panel.
   */
  private _followNotebook(tracker: INotebookTracker): void {
    const notebook = tracker.currentWidget;
    const panel = notebook ? this._panels.get(notebook) : undefined;
    if (!notebook || !panel || panel.isDisposed || panel.isVisible) {
      return;
    }
    const shown = Array.from(this._panels.values()).some(
      other => other !== panel && !other.isDisposed && other.isVisible
    );
    if (shown) {
      this._attach(panel, notebook);
    }
  }

  private _shell: JupyterFrontEnd.IShell;
  private _notebooks: INotebookTracker;
  private _translator: ITranslator;
  private _loadEngine: EngineLoader;
  private _settings: Partial<IPanelSettings>;
  private _previews: IOutputPreviews | undefined;
  private _files: IServerFiles | undefined;
  private _panels = new Map<NotebookPanel, GradCAMPanel>();
  private _clients = new Map<NotebookPanel, GradCAMKernelClient>();
  private _all = new Set<GradCAMPanel>();
  private _free: GradCAMPanel | null = null;
  private _isLite: boolean;
  private _tracker: WidgetTracker<GradCAMPanel> | null;
  private _paths = new WeakMap<GradCAMPanel, string>();
}

/** How long a restored panel waits for its notebook to be reopened. */
const RESTORE_WAIT_MS = 10_000;

/** The ExplanationPanels' companions. */
export namespace ExplanationPanels {
  /** Options of the panels. */
  export interface IOptions {
    /** Where panels are docked. */
    shell: JupyterFrontEnd.IShell;
    /** The notebooks. */
    notebooks: INotebookTracker;
    /** Translations. */
    translator: ITranslator;
    /** Loads an engine for a model's bytes. */
    loadEngine: EngineLoader;
    /** The settings at the start. */
    settings: Partial<IPanelSettings>;
    /** Where panels publish the thumbnails of explain() outputs. */
    previews?: IOutputPreviews;
    /** The server's files, for the side-by-side view's other models. */
    files?: IServerFiles;
    /** Whether the front end is JupyterLite (kernels, if any, run in the browser). */
    isLite?: boolean;
    /** Where the notebooks' panels are tracked for the layout restorer; none when absent. */
    tracker?: WidgetTracker<GradCAMPanel>;
  }
}

/** The options of the explain() output with `handle` in any of the notebook's code cells. */
function explainOutputWithHandle(
  notebook: NotebookPanel,
  handle: string
): IExplainOptions | null {
  for (const cell of notebook.content.widgets) {
    const model = cell.model as Partial<ICodeCellModel>;
    if (model.type !== 'code' || !model.outputs) {
      continue;
    }
    for (let i = 0; i < model.outputs.length; i++) {
      const data = model.outputs.get(i).data[MIME_TYPE];
      if (
        data &&
        typeof data === 'object' &&
        !Array.isArray(data) &&
        (data as IExplainOptions).handle === handle
      ) {
        return data as IExplainOptions;
      }
    }
  }
  return null;
}

/** The options of the last explain() output of a code cell, or null. */
export function explainOutputOf(cellModel: unknown): IExplainOptions | null {
  const model = cellModel as Partial<ICodeCellModel> | null | undefined;
  if (!model || model.type !== 'code' || !model.outputs) {
    return null;
  }
  for (let i = model.outputs.length - 1; i >= 0; i--) {
    const data = model.outputs.get(i).data[MIME_TYPE];
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      return data as IExplainOptions;
    }
  }
  return null;
}
