/**
 * The audit views of all notebooks: one per audit() output (by its handle), docked beside its
 * notebook (placement.ts), fetching through the notebook's kernel client, opening a clicked image in the
 * notebook's single-image panel, and disposed with the notebook.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ICodeCellModel } from '@jupyterlab/cells';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { ITranslator } from '@jupyterlab/translation';

import { showBesideNotebook } from '../placement';
import type { ExplanationPanels } from '../tracker';
import { KernelAuditSource } from './kernelSource';
import type { IAuditSettings } from './model';
import {
  auditSummaryText,
  ICellsWithOutputs,
  saveAuditSummary
} from './summary';
import { AUDIT_MIME_TYPE, AuditRunner, IAuditOptions } from './tokens';
import { AuditView } from './view';

/** The audit views. */
export class AuditViews {
  constructor(options: AuditViews.IOptions) {
    this._shell = options.shell;
    this._notebooks = options.notebooks;
    this._translator = options.translator;
    this._run = options.run;
    this._panels = options.panels;
    this._settings = options.settings;
  }

  /** Opens (or shows again) the audit view of an audit() output in the notebook that holds `node`. */
  showOutput(options: IAuditOptions, node: HTMLElement): AuditView | null {
    const notebook = this._notebooks.find(n => n.node.contains(node));
    return notebook ? this.show(notebook, options) : null;
  }

  /** Opens the audit view for a cell that has just run and displayed an audit() output. */
  showExecutedCell(notebook: NotebookPanel, cellModel: unknown): void {
    const options = auditOutputOf(cellModel);
    if (options) {
      this.show(notebook, options);
    }
  }

  /** Opens the audit view of the current notebook's active cell, when it has an audit() output. */
  openForCurrent(): AuditView | null {
    const notebook = this._notebooks.currentWidget;
    const options = auditOutputOf(notebook?.content.activeCell?.model);
    return notebook && options ? this.show(notebook, options) : null;
  }

  /** Whether the active cell has an audit() output. */
  activeCellHasAudit(): boolean {
    return auditOutputOf(this._notebooks.activeCell?.model) !== null;
  }

  /** The audit view of `options.handle`, created, docked and run when new, and activated. */
  show(notebook: NotebookPanel, options: IAuditOptions): AuditView {
    let view = this._views.get(options.handle);
    if (!view || view.isDisposed) {
      const created = new AuditView({
        run: this._run,
        settings: this._settings,
        translator: this._translator,
        openItem: source => this._panels.showSourceIn(notebook, source)
      });
      view = created;
      this._views.set(options.handle, created);
      created.disposed.connect(() => {
        if (this._views.get(options.handle) === created) {
          this._views.delete(options.handle);
        }
      });
      notebook.disposed.connect(() => created.dispose());
      // The report's summary goes into the output's bundle, to be saved with the notebook.
      created.model.changed.connect((model, change) => {
        const cells = notebook.content.model?.cells;
        if (change === 'result' && model.report && cells) {
          saveAuditSummary(
            cells as unknown as ICellsWithOutputs,
            options.handle,
            auditSummaryText(model.report)
          );
        }
      });
      showBesideNotebook(this._shell, created, notebook);
      void created.model.open(
        new KernelAuditSource({
          client: this._panels.clientOf(notebook),
          options,
          label: notebook.title.label
        })
      );
    } else {
      showBesideNotebook(this._shell, view, notebook);
    }
    return view;
  }

  /** Passes new settings to every view. */
  updateSettings(settings: Partial<IAuditSettings>): void {
    this._settings = { ...this._settings, ...settings };
    for (const view of this._views.values()) {
      view.updateSettings(settings);
    }
  }

  private _shell: JupyterFrontEnd.IShell;
  private _notebooks: INotebookTracker;
  private _translator: ITranslator;
  private _run: AuditRunner;
  private _panels: ExplanationPanels;
  private _settings: IAuditSettings;
  private _views = new Map<string, AuditView>();
}

/** The AuditViews' companions. */
export namespace AuditViews {
  /** Options of the audit views. */
  export interface IOptions {
    /** Where views are docked. */
    shell: JupyterFrontEnd.IShell;
    /** The notebooks. */
    notebooks: INotebookTracker;
    /** Translations. */
    translator: ITranslator;
    /** Runs the engine's audit. */
    run: AuditRunner;
    /** The single-image panels (and the notebooks' kernel clients). */
    panels: ExplanationPanels;
    /** Backend, colormap and opacity at the start. */
    settings: IAuditSettings;
  }
}

/** The options of the last audit() output of a code cell, or null. */
export function auditOutputOf(cellModel: unknown): IAuditOptions | null {
  const model = cellModel as Partial<ICodeCellModel> | null | undefined;
  if (!model || model.type !== 'code' || !model.outputs) {
    return null;
  }
  for (let i = model.outputs.length - 1; i >= 0; i--) {
    const data = model.outputs.get(i).data[AUDIT_MIME_TYPE];
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      return data as unknown as IAuditOptions;
    }
  }
  return null;
}
