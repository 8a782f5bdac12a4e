import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import * as ort from 'onnxruntime-web';

import { runSelftest } from './selftest';
import { GradCAMPanel } from './ui/panel';

/** The extension's command ids (stable: tests and users call them). */
export namespace CommandIDs {
  /** Open the explanation panel beside the current notebook. */
  export const open = 'jupyterlab-gradcam:open';
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
  const extensions =
    PageConfig.getOption('fullLabextensionsUrl') ||
    URLExt.join(PageConfig.getBaseUrl(), 'lab/extensions');
  // ORT appends file names to this prefix, so it must end with a slash.
  ort.env.wasm.wasmPaths =
    URLExt.join(extensions, 'jupyterlab-gradcam', 'static') + '/';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-gradcam:plugin',
  description:
    'Grad-CAM explanations of ONNX image models, computed in the browser beside notebooks.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const language = translator ?? nullTranslator;
    const trans = language.load('jupyterlab_gradcam');
    pointRuntimeAtStaticFiles();

    let panel: GradCAMPanel | null = null;

    app.commands.addCommand(CommandIDs.open, {
      label: trans.__('Grad-CAM: Open Explanation Panel'),
      caption: trans.__(
        'Open the Grad-CAM panel beside the current notebook'
      ),
      execute: () => {
        if (!panel || panel.isDisposed) {
          panel = new GradCAMPanel({ translator: language });
        }
        if (!panel.isAttached) {
          const notebook = notebooks.currentWidget;
          app.shell.add(
            panel,
            'main',
            notebook ? { mode: 'split-right', ref: notebook.id } : undefined
          );
        }
        app.shell.activateById(panel.id);
        return panel;
      }
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
  }
};

export default plugin;
