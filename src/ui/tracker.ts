/**
 * One explanation panel per notebook, docked to its right, and one kernel client per notebook:
 * opens a panel for an explain() output, follows the notebook's active cell, passes settings on
 * to every panel (the .onnx file panels included), and disposes a notebook's panel and client
 * with the notebook.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ICodeCellModel } from '@jupyterlab/cells';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { ITranslator } from '@jupyterlab/translation';

import { GradCAMKernelClient } from '../kernel/client';
import { kernelRequests } from './kernel';
import { GradCAMPanel } from './panel';
import type { OutputPreviews } from './previews';
import { MIME_TYPE } from './renderer';
import { KernelSource } from './sources';
import type {
  EngineLoader,
  IExplainOptions,
  IPanelSettings,
  ISource
} from './tokens';

/** The panels of all notebooks (and of .onnx files). */
export class ExplanationPanels {
  constructor(options: ExplanationPanels.IOptions) {
    this._shell = options.shell;
    this._notebooks = options.notebooks;
    this._translator = options.translator;
    this._loadEngine = options.loadEngine;
    this._settings = options.settings;
    this._previews = options.previews;
    this._notebooks.activeCellChanged.connect(this._followActiveCell, this);
  }

  /** Creates a panel that follows the settings (the .onnx file panels use this). */
  createPanel(): GradCAMPanel {
    const panel = new GradCAMPanel({
      loadEngine: this._loadEngine,
      translator: this._translator,
      settings: this._settings,
      previews: this._previews
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
        sessionContext: notebook.sessionContext
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

  /** The notebook's panel, created and docked to its right when needed, and activated. */
  private _panelOf(notebook: NotebookPanel): GradCAMPanel {
    let panel = this._panels.get(notebook);
    if (!panel || panel.isDisposed) {
      panel = this.createPanel();
      this._panels.set(notebook, panel);
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
    if (!panel.isAttached) {
      this._shell.add(
        panel,
        'main',
        notebook ? { mode: 'split-right', ref: notebook.id } : undefined
      );
    }
    this._shell.activateById(panel.id);
    // The notebook keeps the focus when it had it: the panel sits beside it, not in its place.
    if (notebook) {
      this._shell.activateById(notebook.id);
    }
  }

  private _source(
    notebook: NotebookPanel,
    options: IExplainOptions
  ): KernelSource {
    return new KernelSource({
      kernel: kernelRequests(this.clientOf(notebook)),
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

  private _shell: JupyterFrontEnd.IShell;
  private _notebooks: INotebookTracker;
  private _translator: ITranslator;
  private _loadEngine: EngineLoader;
  private _settings: Partial<IPanelSettings>;
  private _previews: OutputPreviews | undefined;
  private _panels = new Map<NotebookPanel, GradCAMPanel>();
  private _clients = new Map<NotebookPanel, GradCAMKernelClient>();
  private _all = new Set<GradCAMPanel>();
  private _free: GradCAMPanel | null = null;
}

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
    previews?: OutputPreviews;
  }
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
