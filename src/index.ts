import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import * as ort from 'onnxruntime-web';

import { runSelftest } from './selftest';
import { runAuditInPage } from './ui/audit/engine';
import { auditRendererFactory } from './ui/audit/renderer';
import { AuditViews } from './ui/audit/tracker';
import { OnnxPanelFactory, ONNX_FILE_TYPE } from './ui/document';
import { loadExplainer } from './ui/engine';
import {
  canUseWorker,
  workerAuditRunner,
  workerEngineLoader,
  WORKER_SCRIPT
} from './ui/workerEngine';
import { GradCAMPanel } from './ui/panel';
import { OutputPreviews } from './ui/previews';
import { rendererFactory } from './ui/renderer';
import {
  IExplanationPanels,
  IOutputPreviews,
  IPanelSettings
} from './ui/tokens';
import { ExplanationPanels } from './ui/tracker';

/** The extension's command ids (stable: tests and users call them). */
export namespace CommandIDs {
  /** Open the explanation panel beside the current notebook. */
  export const open = 'jupyterlab-gradcam:open';
  /** Show the active cell's explain() output in the panel (the cell context menu's item). */
  export const explainCell = 'jupyterlab-gradcam:explain-cell';
  /** Open the audit view of the active cell's audit() output. */
  export const openAudit = 'jupyterlab-gradcam:open-audit';
  /** Run a one-node model with onnxruntime-web and return its output. */
  export const selftest = 'jupyterlab-gradcam:selftest';
}

/**
 * Serve onnxruntime-web's .wasm and .mjs from this extension's static folder (webpack.config.js
 * copies them there), never from a CDN: the notebook may be offline. A user's own setting wins.
 */
function pointRuntimeAtStaticFiles(): void {
  if (ort.env.wasm.wasmPaths) {
    return;
  }
  ort.env.wasm.wasmPaths = staticFolder();
}

/** This extension's static folder (ORT appends file names to it, so it ends with a slash). */
function staticFolder(): string {
  const extensions =
    PageConfig.getOption('fullLabextensionsUrl') ||
    URLExt.join(PageConfig.getBaseUrl(), 'lab/extensions');
  return URLExt.join(extensions, 'jupyterlab-gradcam', 'static') + '/';
}

/**
 * The engine off the page's thread: a Web Worker from the static folder (webpack.config.js puts
 * it there), whose onnxruntime reads the same files as the page's. Without Worker, in the page.
 */
function engineSite() {
  const wasmPaths = ort.env.wasm.wasmPaths;
  return {
    scriptUrl: staticFolder() + WORKER_SCRIPT,
    wasmPaths: typeof wasmPaths === 'string' ? wasmPaths : staticFolder()
  };
}

/** The thumbnails of explain() outputs: panels publish, the outputs' renderers show. */
const previewsPlugin: JupyterFrontEndPlugin<IOutputPreviews> = {
  id: 'jupyterlab-gradcam:previews',
  description:
    'The thumbnails of explain() outputs, published by the Grad-CAM panels that showed them.',
  autoStart: true,
  provides: IOutputPreviews,
  activate: () => new OutputPreviews()
};

const plugin: JupyterFrontEndPlugin<IExplanationPanels> = {
  id: 'jupyterlab-gradcam:plugin',
  description:
    'Grad-CAM explanations of ONNX image models, computed in the browser beside notebooks.',
  autoStart: true,
  requires: [INotebookTracker, IOutputPreviews],
  optional: [ICommandPalette, ITranslator, ISettingRegistry, ILayoutRestorer],
  provides: IExplanationPanels,
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    previews: IOutputPreviews,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ): IExplanationPanels => {
    const language = translator ?? nullTranslator;
    const trans = language.load('jupyterlab_gradcam');
    pointRuntimeAtStaticFiles();

    // The notebooks' panels, for the layout restorer (the .onnx file panels are documents).
    const tracker = new WidgetTracker<GradCAMPanel>({
      namespace: 'jupyterlab-gradcam'
    });
    const panels = new ExplanationPanels({
      shell: app.shell,
      notebooks,
      translator: language,
      loadEngine: canUseWorker()
        ? workerEngineLoader(engineSite())
        : loadExplainer,
      settings: {},
      previews,
      isLite: PageConfig.getOption('appName') === 'JupyterLite',
      tracker
    });

    // audit() outputs open a view of their own beside the notebook; a clicked image opens in the panel.
    const audits = new AuditViews({
      shell: app.shell,
      notebooks,
      translator: language,
      run: canUseWorker() ? workerAuditRunner(engineSite()) : runAuditInPage,
      panels,
      settings: { backend: 'auto', colormap: 'jet', overlayOpacity: 0.5 }
    });

    // Settings take effect live in every panel and audit view.
    if (settingRegistry) {
      void settingRegistry.load(plugin.id).then(settings => {
        const update = () => {
          const composite =
            settings.composite as unknown as Partial<IPanelSettings>;
          panels.updateSettings(composite);
          audits.updateSettings({
            ...(composite.backend && { backend: composite.backend }),
            ...(composite.colormap && { colormap: composite.colormap }),
            ...(composite.overlayOpacity !== undefined && {
              overlayOpacity: composite.overlayOpacity
            })
          });
        };
        update();
        settings.changed.connect(update);
      });
    }

    // explain() outputs render inline in every notebook; a fresh one opens the panel.
    const factory = rendererFactory(
      (options, node) => panels.showOutput(options, node),
      trans,
      previews
    );
    const auditFactory = auditRendererFactory(
      (options, node) => audits.showOutput(options, node),
      trans
    );
    const addFactories = (notebook: NotebookPanel) => {
      notebook.content.rendermime.addFactory(factory);
      notebook.content.rendermime.addFactory(auditFactory);
    };
    notebooks.widgetAdded.connect((_, notebook) => addFactories(notebook));
    notebooks.forEach(addFactories);
    NotebookActions.executed.connect((_, { notebook, cell, success }) => {
      const panel = notebooks.find(n => n.content === notebook);
      if (success && panel) {
        panels.showExecutedCell(panel, cell.model);
        audits.showExecutedCell(panel, cell.model);
      }
    });

    // From now on the .onnx file panels follow the settings too.
    makeFilePanel = () => panels.createPanel();

    app.commands.addCommand(CommandIDs.open, {
      label: trans.__('Grad-CAM: Open Explanation Panel'),
      caption: trans.__('Open the Grad-CAM panel beside the current notebook'),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            path: {
              type: 'string',
              description:
                'the notebook whose panel to reopen (the layout restorer)'
            },
            handle: {
              type: 'string',
              description: 'the explain() output to show in it'
            }
          }
        }
      },
      execute: args =>
        typeof args.path === 'string'
          ? panels.restore(
              args.path,
              typeof args.handle === 'string' ? args.handle : ''
            )
          : panels.openForCurrent()
    });
    void restorer?.restore(tracker, {
      command: CommandIDs.open,
      args: panel => panels.restoreArgs(panel),
      name: panel => panels.restoreArgs(panel).path || 'no notebook'
    });

    app.commands.addCommand(CommandIDs.explainCell, {
      label: trans.__('Explain with Grad-CAM'),
      caption: trans.__(
        "Show this cell's explain() output in the Grad-CAM panel"
      ),
      isEnabled: () => panels.activeCellHasExplanation(),
      isVisible: () => panels.activeCellHasExplanation(),
      execute: () => panels.openForCurrent()
    });
    app.contextMenu.addItem({
      command: CommandIDs.explainCell,
      selector: '.jp-Notebook .jp-CodeCell',
      rank: 20
    });

    app.commands.addCommand(CommandIDs.openAudit, {
      label: trans.__('Grad-CAM: Open Audit View'),
      caption: trans.__("Open the audit view of this cell's audit() output"),
      isEnabled: () => audits.activeCellHasAudit(),
      isVisible: () => audits.activeCellHasAudit(),
      execute: () => audits.openForCurrent()
    });
    app.contextMenu.addItem({
      command: CommandIDs.openAudit,
      selector: '.jp-Notebook .jp-CodeCell',
      rank: 21
    });

    app.commands.addCommand(CommandIDs.selftest, {
      label: trans.__('Grad-CAM: Run Runtime Self-Test'),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            backend: { type: 'string', enum: ['wasm', 'webgpu'] }
          }
        }
      },
      execute: args =>
        runSelftest(args.backend === 'webgpu' ? 'webgpu' : 'wasm')
    });

    palette?.addItem({
      command: CommandIDs.open,
      category: trans.__('Grad-CAM')
    });
    return panels;
  }
};

/**
 * Makes the panel of an .onnx file: the main plugin's, which follows the settings, once it is
 * active; before that (or without notebooks) a panel with the default settings.
 */
let makeFilePanel = (): GradCAMPanel =>
  new GradCAMPanel({ loadEngine: loadExplainer });

/**
 * `.onnx` files open in a panel that asks for an image: no kernel needed. A plugin of its own,
 * without requirements, so that it registers the file type and the Open With factory at the start,
 * before JupyterLab's document manager settings plugin listens for registry changes: a change after
 * that reloads those settings, and a read during the reload fails (Notebook 7's tree page logged
 * `Cannot convert undefined or null to object` from @jupyterlab/docmanager-extension:plugin).
 */
const onnxFiles: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-gradcam:onnx-files',
  description: 'Opens .onnx files with Grad-CAM (Open With), without a kernel.',
  autoStart: true,
  activate: (app: JupyterFrontEnd) => {
    const trans = nullTranslator.load('jupyterlab_gradcam');
    app.docRegistry.addFileType(ONNX_FILE_TYPE);
    app.docRegistry.addWidgetFactory(
      new OnnxPanelFactory({
        name: 'Grad-CAM',
        label: trans.__('Grad-CAM'),
        fileTypes: ['onnx'],
        defaultFor: ['onnx'],
        modelName: 'base64',
        readOnly: true,
        createPanel: () => makeFilePanel()
      })
    );
  }
};

export default [onnxFiles, previewsPlugin, plugin];
