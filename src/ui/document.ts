/**
 * `.onnx` files in the file browser: the file type, and the "Grad-CAM" widget factory (Open With)
 * that shows the panel for the file's model and asks for an image. No kernel is involved.
 */
import type {
  DocumentRegistry,
  IDocumentWidget
} from '@jupyterlab/docregistry';
import { ABCWidgetFactory, DocumentWidget } from '@jupyterlab/docregistry';

import type { GradCAMPanel } from './panel';
import { bytesOfBase64 } from './sources';

/** The file type of ONNX models (read as base64: they are binary). */
export const ONNX_FILE_TYPE: Partial<DocumentRegistry.IFileType> = {
  name: 'onnx',
  displayName: 'ONNX model',
  extensions: ['.onnx'],
  mimeTypes: ['application/octet-stream'],
  fileFormat: 'base64',
  contentType: 'file'
};

/** Opens an .onnx file in a Grad-CAM panel. */
export class OnnxPanelFactory extends ABCWidgetFactory<
  IDocumentWidget<GradCAMPanel>,
  DocumentRegistry.IModel
> {
  constructor(options: OnnxPanelFactory.IOptions) {
    super(options);
    this._createPanel = options.createPanel;
  }

  /** A document widget whose content is a panel asking for an image once the file is read. */
  protected createNewWidget(
    context: DocumentRegistry.IContext<DocumentRegistry.IModel>
  ): IDocumentWidget<GradCAMPanel> {
    const content = this._createPanel();
    const widget = new DocumentWidget({ content, context });
    void context.ready.then(() => {
      content.askForImage({
        name: context.localPath.split('/').pop() ?? context.localPath,
        bytes: bytesOfBase64(context.model.toString())
      });
    });
    return widget;
  }

  private _createPanel: () => GradCAMPanel;
}

/** The OnnxPanelFactory's companions. */
export namespace OnnxPanelFactory {
  /** Options of the factory. */
  export interface IOptions extends DocumentRegistry.IWidgetFactoryOptions<
    IDocumentWidget<GradCAMPanel>
  > {
    /** Makes a panel that follows the settings. */
    createPanel: () => GradCAMPanel;
  }
}
