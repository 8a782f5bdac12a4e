/**
 * The Grad-CAM explanation panel, docked beside a notebook (or opened on an .onnx file): a header
 * naming the source, progress with Cancel, errors in words, the controls, the overlay, the compare
 * strip, and export. It renders an ExplanationModel; stable hooks for tests: the `data-state`
 * attribute, `.jp-GradCAM-progress`, `.jp-GradCAM-error` (DESIGN.md, "The user interface"),
 * `data-runs` (model runs since the source opened), `data-switch-ms` (the last switch's repaint)
 * and `data-map-shown` (a map is drawn: true while a pass still runs after its first map).
 */
import { drawFigure, ExportSize, exportSizeSelect } from './exportFigure';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import type { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { CompareView } from './compare';
import { engineInfoElement, renderEngineInfo } from './engineInfo';
import { GraphSaveView } from './graphSaveView';
import { ImagePicker } from './imagepicker';
import { BoxDrawer } from './metrics/boxdraw';
import { recommendedMarks } from './metrics/marks';
import { MetricsModel } from './metrics/model';
import { MetricsView } from './metrics/strip';
import type { IKernelVariables } from './kernel';
import { KernelVariablesView } from './kernelVariables';
import { ExplanationModel, PanelState } from './model';
import { OverlayView } from './overlay';
import { PreviewPublisher } from './publisher';
import type { IMessage } from './results';
import { SelectorsView } from './selectors';
import type { IServerFiles } from './serverFiles';
import { SideBySideModel } from './sideBySide/model';
import { SideBySideView } from './sideBySide/view';
import { FileSource } from './sources';
import type {
  EngineLoader,
  IOutputPreviews,
  IPanelSettings,
  ISource
} from './tokens';

export type { PanelState } from './model';

/** Panels made so far, for unique ids. */
let panelCount = 0;

/** The Grad-CAM explanation panel. */
export class GradCAMPanel extends Panel {
  constructor(options: GradCAMPanel.IOptions) {
    super();
    this._trans = (options.translator ?? nullTranslator).load(
      'jupyterlab_gradcam'
    );
    const trans = this._trans;
    this.id = `jp-GradCAM-panel-${++panelCount}`;
    this.addClass('jp-GradCAM-panel');
    this.title.label = trans.__('Grad-CAM');
    this.title.caption = trans.__('Grad-CAM explanation');
    this.title.closable = true;
    this._files = options.files;
    this.model = new ExplanationModel({
      loadEngine: options.loadEngine,
      settings: options.settings
    });
    this._publisher = options.previews
      ? new PreviewPublisher({ model: this.model, previews: options.previews })
      : null;

    this._header = this._element('div', 'jp-GradCAM-header');
    this._note = this._element('p', 'jp-GradCAM-targetNote');
    this._engineInfo = engineInfoElement();
    this._assumed = this._element('p', 'jp-GradCAM-assumptions');
    this._message = this._element('p', 'jp-GradCAM-message');
    this._message.textContent = trans.__(
      'Run jupyterlab_gradcam.explain(model, image) in a notebook cell, or open an .onnx file with Open With > Grad-CAM.'
    );
    this._progress = this._progressElement();
    this._error = this._element('div', 'jp-GradCAM-error');
    this._error.setAttribute('role', 'alert');
    this._status = new Widget({
      node: this._element('div', 'jp-GradCAM-status')
    });
    this._status.node.append(
      this._header,
      this._engineInfo,
      this._note,
      this._assumed,
      this._message,
      this._progress,
      this._error
    );
    this.addWidget(this._status);

    this.metrics = new MetricsModel({ explanation: this.model });
    const marks = recommendedMarks(this.metrics, trans);
    this.selectors = new SelectorsView({ model: this.model, trans, marks });
    this.overlay = new OverlayView({ model: this.model, trans });
    this.compare = new CompareView({ model: this.model, trans, marks });
    this._metricsView = new MetricsView({ model: this.metrics, trans });
    this._boxDrawer = new BoxDrawer({
      metrics: this.metrics,
      explanation: this.model,
      canvas: this.overlay.canvas
    });
    this.metrics.changed.connect(this._onMetricsChange, this);
    this.sideBySide = new SideBySideView({
      model: new SideBySideModel({
        main: this.model,
        loadEngine: options.loadEngine
      }),
      trans,
      files: options.files,
      exportSize: () => this._exportSize.value as ExportSize
    });
    this._actions = new Widget({ node: this._actionsElement() });
    this.addWidget(this.selectors);
    this.addWidget(this.overlay);
    this.addWidget(this._metricsView);
    this.addWidget(this.sideBySide);
    this.addWidget(this._actions);
    this.addWidget(this.compare);

    // Connected after the views, so that a switch's timing covers all of their repaints.
    this.model.changed.connect(this._onChange, this);
    this._render();
  }

  /** The panel's model. */
  readonly model: ExplanationModel;

  /** The controls. */
  readonly selectors: SelectorsView;

  /** The main overlay. */
  readonly overlay: OverlayView;

  /** The compare strip. */
  readonly compare: CompareView;

  /** The metrics of the shown map and the recommended layer. */
  readonly metrics: MetricsModel;

  /** The side-by-side comparison with another method or model. */
  readonly sideBySide: SideBySideView;

  /** What the panel is doing, mirrored in its `data-state` attribute. */
  get state(): PanelState {
    return this.model.state;
  }

  /** Opens a source unless it is already shown (following the active cell re-opens nothing). */
  showSource(source: ISource): Promise<void> {
    if (this.model.source?.key === source.key && this.model.state !== 'error') {
      return Promise.resolve();
    }
    return this.model.open(source);
  }

  /**
   * Asks for an image to explain an .onnx file's model on (the no-kernel path): shows a file
   * input and mean/std fields above the controls; each chosen image opens a FileSource.
   */
  askForImage(modelFile: { name: string; bytes: Uint8Array }): void {
    const trans = this._trans;
    const picker = new ImagePicker({ trans, files: this._files });
    picker.chosen.connect((_, choice) => {
      void this.model.open(
        new FileSource({
          model: modelFile.bytes,
          modelName: modelFile.name,
          image: choice.image,
          imageName: choice.name,
          mean: choice.mean,
          std: choice.std,
          labels: choice.labels
        })
      );
    });
    // A choice that fails replaces the explanation shown: the error clears it.
    picker.failed.connect((_, message) => this.model.fail(message));
    this.insertWidget(1, picker);
    this._message.textContent = trans.__(
      'Choose an image to explain %1 on (no kernel needed).',
      modelFile.name
    );
  }

  /** Offers the kernel's models and images (a notebook's panel): a chosen pair opens here. */
  offerKernelVariables(kernel: IKernelVariables): void {
    const view = new KernelVariablesView({
      kernel,
      open: source => void this.model.open(source),
      trans: this._trans
    });
    this.insertWidget(1, view);
    this.sideBySide.offerKernel(kernel);
  }

  /** Takes new settings (live, from the settings registry). */
  updateSettings(settings: Partial<IPanelSettings>): void {
    this.model.updateSettings(settings);
  }

  /** Frees the model with the panel. */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._publisher?.dispose();
    this._boxDrawer.dispose();
    this.metrics.dispose();
    this.model.dispose();
    super.dispose();
  }

  /** Closing the tab disposes the panel: its engine's sessions hold the model's memory. */
  protected onCloseRequest(msg: Message): void {
    super.onCloseRequest(msg);
    this.dispose();
  }

  private _onChange(
    _: ExplanationModel,
    change: ExplanationModel.Change
  ): void {
    if (change === 'measures') {
      this._showSwitchTime();
      return;
    }
    this._render();
  }

  /** A newly recommended layer is marked in the layer select and the layer strip. */
  private _onMetricsChange(): void {
    const best = this.metrics.recommended;
    const mark = best ? `${best.layer} ${best.score}` : '';
    if (mark !== this._recommendedMark) {
      this._recommendedMark = mark;
      this.node.dataset.recommended = best?.layer ?? '';
      this.selectors.render();
      this.compare.render();
    }
  }

  /** The last switch's repaint time (`data-switch`, `data-switch-ms`), for the latency figures. */
  private _showSwitchTime(): void {
    const last = this.model.lastSwitch;
    if (!last || last.repaintMs === null) {
      return;
    }
    this.node.dataset.switch = last.kind;
    this.node.dataset.switchMs = last.repaintMs.toFixed(2);
  }

  private _render(): void {
    const model = this.model;
    const trans = this._trans;
    const data = this.node.dataset;
    data.state = model.state;
    data.runs = String(model.runCount);
    data.layer = model.layer;
    data.target = model.target === null ? '' : String(model.target);
    data.method = model.shownMethod;
    // A pass draws the chosen map before it has computed every layer and class.
    data.mapShown = String(model.current !== null);
    data.backend = model.backend;
    data.timings = model.timingsText;

    this._message.hidden = model.source !== null;
    if (model.source) {
      this.title.label = trans.__('Grad-CAM: %1', model.source.label);
      this._header.textContent = model.backend
        ? trans.__('%1 (on %2)', model.source.label, model.backend)
        : model.source.label;
    }
    renderEngineInfo(
      this._engineInfo,
      { backend: model.backend, notes: model.engineNotes },
      trans
    );
    this._note.textContent = model.targetNote;
    this._note.hidden = model.targetNote === '' || model.current === null;
    // What was assumed (normalisation, ImageNet labels), one sentence per line.
    this._assumed.textContent = model.assumptions.join('\n');
    this._assumed.hidden = this._assumed.textContent === '';

    const running = model.state === 'running';
    this._progress.hidden = !running;
    const bar = this._progress.querySelector('progress') as HTMLProgressElement;
    bar.value = model.progress.fraction;
    const text = this._progress.querySelector(
      '.jp-GradCAM-progressText'
    ) as HTMLElement;
    text.textContent = model.progress.message
      ? trans.__(model.progress.message)
      : '';

    const results = model.results;
    const send = results.lastSend;
    this._showError(
      model.state === 'error'
        ? model.error
        : send?.error
          ? this._translate(send.error)
          : ''
    );
    this._sent.textContent = !send
      ? ''
      : send.done
        ? trans.__(
            'Sent to jupyterlab_gradcam.results[%1]',
            JSON.stringify(send.name)
          )
        : send.error
          ? ''
          : trans.__('Sending…');
    if (send?.done) {
      data.sent = send.name;
    }

    this._exportButton.disabled = !results.canExport;
    this._exportSize.disabled = !results.canExport;
    this._sendButton.disabled = !results.canSend;
    this._sendName.disabled = this._sendButton.disabled;
    this._graphSave.render();
    this.selectors.node.hidden = model.layers.length === 0;
    this._actions.node.hidden = model.input === null;
    // No empty framed canvas before there is a picture to draw the map on.
    this.overlay.node.hidden = model.input === null;
    this._metricsView.node.hidden = model.input === null;
    this.overlay.canvas.setAttribute(
      'aria-label',
      trans.__(
        '%1 map of class %2 at layer %3',
        model.shownMethod,
        data.target ?? '',
        model.layer
      )
    );
  }

  /** A message of the model's, in the user's language. */
  private _translate(message: IMessage): string {
    return this._trans.__(message.pattern, ...message.args);
  }

  private _showError(message: string): void {
    this._error.textContent = message;
    this._error.hidden = message === '';
  }

  private _element(tag: string, className: string): HTMLElement {
    const element = document.createElement(tag);
    element.className = className;
    return element;
  }

  private _progressElement(): HTMLElement {
    const trans = this._trans;
    const element = this._element('div', 'jp-GradCAM-progress');
    const bar = document.createElement('progress');
    bar.max = 1;
    const text = this._element('span', 'jp-GradCAM-progressText');
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'jp-GradCAM-cancel jp-mod-styled';
    cancel.textContent = trans.__('Cancel');
    cancel.onclick = () => this.model.cancel();
    element.append(bar, text, cancel);
    return element;
  }

  private _actionsElement(): HTMLElement {
    const trans = this._trans;
    const element = this._element('div', 'jp-GradCAM-actions');
    this._exportButton = document.createElement('button');
    this._exportButton.type = 'button';
    this._exportButton.className = 'jp-GradCAM-export jp-mod-styled';
    this._exportButton.textContent = trans.__('Export PNG');
    this._exportButton.onclick = () => this._exportPng();
    this._exportSize = exportSizeSelect(trans);

    this._sendName = document.createElement('input');
    this._sendName.className = 'jp-GradCAM-resultName';
    this._sendName.value = 'map';
    this._sendName.setAttribute(
      'aria-label',
      trans.__('Name in jupyterlab_gradcam.results')
    );
    this._sendName.title = trans.__(
      'The key of jupyterlab_gradcam.results the map goes to'
    );

    this._sendButton = document.createElement('button');
    this._sendButton.type = 'button';
    this._sendButton.className = 'jp-GradCAM-send jp-mod-styled';
    this._sendButton.textContent = trans.__('Send to kernel');
    this._sendButton.onclick = () =>
      void this.model.results.send(this._sendName.value);

    this._sent = this._element('span', 'jp-GradCAM-sent');
    this._sent.setAttribute('aria-live', 'polite');
    // The panel's model is the graph's choice: its source, method, layer, output and state.
    this._graphSave = new GraphSaveView({ choice: this.model, trans });
    element.append(
      this._exportButton,
      this._exportSize,
      this._sendName,
      this._sendButton,
      this._sent,
      this._graphSave.node
    );
    return element;
  }

  /** Downloads the overlay as PNG at the chosen size with its legend, named by class, layer and method. */
  private _exportPng(): void {
    const results = this.model.results;
    const figure = drawFigure(
      this.overlay.canvas,
      this._exportSize.value as ExportSize,
      results.legend
    );
    const link = document.createElement('a');
    link.download = results.exportName;
    link.href = figure.toDataURL('image/png');
    link.click();
  }

  private _trans: TranslationBundle;
  private _status: Widget;
  private _header: HTMLElement;
  private _note: HTMLElement;
  private _engineInfo: HTMLElement;
  private _assumed: HTMLElement;
  private _message: HTMLElement;
  private _progress: HTMLElement;
  private _error: HTMLElement;
  private _actions: Widget;
  private _exportButton!: HTMLButtonElement;
  private _exportSize!: HTMLSelectElement;
  private _sendButton!: HTMLButtonElement;
  private _sendName!: HTMLInputElement;
  private _sent!: HTMLElement;
  private _graphSave!: GraphSaveView;
  private _publisher: PreviewPublisher | null;
  private _metricsView: MetricsView;
  private _boxDrawer: BoxDrawer;
  private _recommendedMark = '';
  private _files: IServerFiles | undefined;
}

/** The GradCAMPanel's companions. */
export namespace GradCAMPanel {
  /** Options of a new panel. */
  export interface IOptions {
    /** Loads an engine for a model's bytes. */
    loadEngine: EngineLoader;
    /** Translates the panel's text; English when absent. */
    translator?: ITranslator;
    /** The settings at the start. */
    settings?: Partial<IPanelSettings>;
    /** Where the thumbnails of explain() outputs go; none are drawn when absent. */
    previews?: IOutputPreviews;
    /** The server's files (another model to compare with); only methods are offered without. */
    files?: IServerFiles;
  }
}
