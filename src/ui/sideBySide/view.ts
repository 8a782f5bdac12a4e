/**
 * The side-by-side view `.jp-GradCAM-sideBySide`: a "Compare with" select (another method,
 * another .onnx model from the server's files, or a notebook kernel's model variable), the scale
 * of the pair, an export of the pair as one PNG, and two panes, the panel's
 * map and the other one, drawn with the panel's opacity, colormap and box. While it compares, the
 * panel's own overlay is hidden (CSS): the left pane is that map. Hooks (README): the view's
 * `data-state` (closed, running, ready, error), `select.jp-GradCAM-compareWith` (values
 * `method:<name>`, `file:<path>`, `kernel:<variable>`), `select.jp-GradCAM-sideBySideScale`
 * (`map`, `pair`), `button.jp-GradCAM-sideBySideExport` (disabled until both maps are drawn),
 * `.jp-GradCAM-sideBySidePane` (`data-method`, `data-model`, `data-layer`, `data-target`) with
 * `canvas.jp-GradCAM-sideBySideMap` and `.jp-GradCAM-sideBySideRange` (`data-low`, `data-high`),
 * and `.jp-GradCAM-sideBySideError`.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { colorise, ColormapName } from '../../engine/image';
import { METHOD_NAMES } from '../../engine/methods';
import { shortLayerName } from '../names';
import { MapCompositor } from '../paint';
import { putOnCanvas } from '../overlay';
import { formatValue } from '../scale';
import type { ExportSize } from '../exportFigure';
import type { IKernelVariables } from '../kernel';
import type { IServerFiles } from '../serverFiles';
import { modelInputShape } from '../variableSource';
import { ISide, PAIR_SCALES, PairScale, SideBySideModel } from './model';
import { drawPairFigure, pairExportName, pairLegend } from './pairExport';

/** The side-by-side comparison of one panel. */
export class SideBySideView extends Widget {
  constructor(options: SideBySideView.IOptions) {
    super();
    this.addClass('jp-GradCAM-sideBySide');
    this.model = options.model;
    this._trans = options.trans;
    this._files = options.files ?? null;
    this._exportSize = options.exportSize ?? (() => '1x');
    const trans = this._trans;

    const bar = document.createElement('div');
    bar.className = 'jp-GradCAM-sideBySideBar';
    this._with = document.createElement('select');
    this._with.className = 'jp-GradCAM-compareWith';
    this._with.title = trans.__(
      'Explain the same image with another method, or with another model, beside this map'
    );
    this._with.onchange = () => void this.compareWith(this._with.value);
    // The server's models are listed when the select is about to open (they may have changed).
    this._with.onfocus = () => void this._listModels();
    this._fillChoices();
    this._scale = document.createElement('select');
    this._scale.className = 'jp-GradCAM-sideBySideScale';
    const scaleLabels: Record<PairScale, string> = {
      map: trans.__('Each map its own range'),
      pair: trans.__('One scale for both')
    };
    for (const scale of PAIR_SCALES) {
      this._scale.appendChild(option(scale, scaleLabels[scale]));
    }
    this._scale.title = trans.__(
      'One scale divides both raw maps by the larger of their maxima, so that equal colours are equal raw values'
    );
    this._scale.onchange = () => this.model.setScale(this._scale.value);
    this._export = document.createElement('button');
    this._export.type = 'button';
    this._export.className = 'jp-GradCAM-sideBySideExport jp-mod-styled';
    this._export.textContent = trans.__('Export pair PNG');
    this._export.title = trans.__(
      'Both maps in one PNG at the export size, each with its colour bar and caption, the scale said once'
    );
    this._export.onclick = () => this.exportPair();
    bar.append(
      field(trans.__('Compare with'), this._with),
      field(trans.__('Scale of the pair'), this._scale),
      this._export
    );

    this._status = document.createElement('div');
    this._status.className = 'jp-GradCAM-sideBySideStatus';
    this._status.setAttribute('aria-live', 'polite');
    this._error = document.createElement('div');
    this._error.className = 'jp-GradCAM-sideBySideError';
    this._error.setAttribute('role', 'alert');
    const panes = document.createElement('div');
    panes.className = 'jp-GradCAM-sideBySidePanes';
    this._panes = [new Pane(), new Pane()];
    panes.append(...this._panes.map(p => p.node));
    this.node.append(bar, this._status, this._error, panes);

    this.model.changed.connect(this._onChange, this);
    this.model.main.changed.connect(this._onMainChange, this);
    this.render();
  }

  /** The comparison this view draws. */
  readonly model: SideBySideModel;

  /**
   * Compares with `choice`: `method:<name>`, `file:<path>` (an .onnx file of the server's), or ''
   * to stop comparing.
   */
  async compareWith(choice: string): Promise<void> {
    this._kernelChoice++;
    const [kind, ...rest] = choice.split(':');
    const value = rest.join(':');
    if (choice === '') {
      this.model.close();
    } else if (kind === 'method') {
      await this.model.compareMethod(value);
    } else if (kind === 'kernel' && this._kernel) {
      await this._compareKernelModel(value, this._kernel, this._kernelChoice);
    } else if (kind === 'file' && this._files) {
      let bytes: Uint8Array;
      try {
        bytes = await this._files.read(value);
      } catch (error) {
        this.model.fail(
          this._trans.__(
            'cannot read %1 from the server: %2',
            value,
            (error as Error).message
          )
        );
        return;
      }
      await this.model.compareModel(value.split('/').pop() ?? value, bytes);
    } else {
      this.model.fail(
        this._trans.__(
          "cannot compare with '%1': choose method:<name>, file:<path of an .onnx file> or kernel:<a model variable of a notebook's kernel>",
          choice
        )
      );
    }
  }

  /**
   * Downloads both maps as one PNG at the panel's export size (`<class>-<method>-vs-<other>.png`);
   * nothing while either map is missing.
   */
  exportPair(): void {
    const sides = this.model.state === 'ready' ? this.model.sides() : null;
    if (!sides) {
      return;
    }
    const main = this.model.main;
    const labelOf = (index: number) => main.labelOf(index);
    const figure = drawPairFigure(
      [this._panes[0].canvas, this._panes[1].canvas],
      this._exportSize(),
      pairLegend(sides, {
        leftModel: main.source?.modelName ?? main.source?.label ?? '',
        labelOf,
        colormap: main.colormap,
        scale: this.model.scale
      })
    );
    const link = document.createElement('a');
    link.download = pairExportName(sides, labelOf);
    link.href = figure.toDataURL('image/png');
    link.click();
  }

  /**
   * Offers the kernel's models too (a notebook's panel): a chosen one is fetched as ONNX through
   * the comm, a torch module exported for the panel's image, as the panel's own kernel source does.
   */
  offerKernel(kernel: IKernelVariables): void {
    this._kernel = kernel;
  }

  /** Puts the keyboard focus on the "Compare with" select. */
  focusChoice(): void {
    this._with.focus();
  }

  /** Draws the state, the choices and both panes. */
  render(): void {
    const model = this.model;
    const main = model.main;
    const trans = this._trans;
    this.node.hidden = main.input === null;
    this.node.dataset.state = model.state;
    this._scale.value = model.scale;
    this._scale.disabled = model.state === 'closed';
    this._status.textContent =
      model.state === 'running'
        ? trans.__('Computing %1…', model.counterpartName)
        : '';
    this._showError(model.state === 'error' ? model.error : '');
    const sides = model.state === 'closed' ? null : model.sides();
    const options = {
      opacity: main.opacity,
      colormap: main.colormap,
      box: main.showBox
    };
    this._panes.forEach((pane, i) =>
      pane.render(sides?.[i] ?? null, options, trans)
    );
    this._export.disabled = model.state !== 'ready' || sides === null;
  }

  /** Stops comparing with the view. */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  private _onChange(): void {
    this.render();
  }

  private _onMainChange(_: unknown, change: string): void {
    // The map it was compared with is gone with its source: the select says so.
    if (change === 'source' && this.model.state === 'closed') {
      this._with.value = '';
    }
    if (change === 'source' || change === 'state') {
      this.render();
    }
  }

  private _showError(message: string): void {
    this._error.textContent = message;
    this._error.hidden = message === '';
  }

  /** The choices: nothing, every method, and the server's .onnx files once listed. */
  private _fillChoices(): void {
    const trans = this._trans;
    const chosen = this._with.value;
    const methods = document.createElement('optgroup');
    methods.label = trans.__('Another method');
    methods.append(...METHOD_NAMES.map(m => option(`method:${m}`, m)));
    const groups: HTMLElement[] = [
      option('', trans.__('Nothing (one map)')),
      methods
    ];
    if (this._kernelModels.length > 0) {
      const kernel = document.createElement('optgroup');
      kernel.label = trans.__('Another model (kernel variables)');
      kernel.append(...this._kernelModels.map(n => option(`kernel:${n}`, n)));
      groups.push(kernel);
    }
    if (this._models.length > 0) {
      const models = document.createElement('optgroup');
      models.label = trans.__('Another model (server files)');
      models.append(...this._models.map(p => option(`file:${p}`, p)));
      groups.push(models);
    }
    this._with.replaceChildren(...groups);
    this._with.value = chosen;
  }

  private async _listModels(): Promise<void> {
    const [files, variables] = await Promise.all([
      this._files?.list(['.onnx']).catch(() => null),
      this._kernel?.list().catch(() => null)
    ]);
    // Without a listing the choices it would add are missing: nothing to report.
    const models = files ?? this._models;
    const kernelModels = variables
      ? variables.filter(v => v.kind === 'model').map(v => v.name)
      : this._kernelModels;
    if (
      models.join('\n') !== this._models.join('\n') ||
      kernelModels.join('\n') !== this._kernelModels.join('\n')
    ) {
      this._models = models;
      this._kernelModels = kernelModels;
      this._fillChoices();
    }
  }

  /** Fetches the kernel's model `name` as ONNX for the panel's image, and compares with it. */
  private async _compareKernelModel(
    name: string,
    kernel: IKernelVariables,
    chosen: number
  ): Promise<void> {
    const trans = this._trans;
    const image = this.model.main.sourceImage?.image;
    if (!image) {
      this.model.fail(
        trans.__(
          'cannot compare with %1: the panel has no image yet; explain one first',
          name
        )
      );
      return;
    }
    // The torch export can take seconds: the pair on screen stays until the model is here, and
    // a choice made meanwhile wins over this one.
    this._status.textContent = trans.__('Fetching %1 from the kernel…', name);
    let bytes: Uint8Array;
    try {
      bytes = await kernel.getModel(
        name,
        modelInputShape(image),
        new AbortController().signal
      );
    } catch (error) {
      if (chosen !== this._kernelChoice) {
        return;
      }
      this.model.fail(
        trans.__(
          'cannot fetch %1 from the kernel: %2',
          name,
          (error as Error).message
        )
      );
      return;
    }
    if (chosen === this._kernelChoice) {
      await this.model.compareModel(name, bytes);
    }
  }

  private _trans: TranslationBundle;
  private _files: IServerFiles | null;
  private _exportSize: () => ExportSize;
  private _export: HTMLButtonElement;
  private _models: string[] = [];
  private _kernel: IKernelVariables | null = null;
  private _kernelModels: string[] = [];
  /** Counts the choices made, so that a kernel model fetched late does not replace a later choice. */
  private _kernelChoice = 0;
  private _with: HTMLSelectElement;
  private _scale: HTMLSelectElement;
  private _status: HTMLElement;
  private _error: HTMLElement;
  private _panes: [Pane, Pane];
}

/** The SideBySideView's companions. */
export namespace SideBySideView {
  /** Options of a new side-by-side view. */
  export interface IOptions {
    /** The comparison. */
    model: SideBySideModel;
    /** The panel's translations. */
    trans: TranslationBundle;
    /** The server's files, for another model; only methods are offered without. */
    files?: IServerFiles;
    /** The export size chosen in the panel (1x without). */
    exportSize?: () => ExportSize;
  }
}

/** One side: a caption, the map over its picture, and the raw values its colours span. */
class Pane {
  constructor() {
    this.node = document.createElement('figure');
    this.node.className = 'jp-GradCAM-sideBySidePane';
    this._title = document.createElement('figcaption');
    this._title.className = 'jp-GradCAM-sideBySideTitle';
    this._canvas = document.createElement('canvas');
    this._canvas.className = 'jp-GradCAM-sideBySideMap';
    this._canvas.setAttribute('role', 'img');
    this._range = document.createElement('div');
    this._range.className = 'jp-GradCAM-sideBySideRange';
    this._low = document.createElement('span');
    this._ramp = document.createElement('canvas');
    this._ramp.className = 'jp-GradCAM-sideBySideRamp';
    this._ramp.width = 256;
    this._ramp.height = 1;
    this._high = document.createElement('span');
    this._range.append(this._low, this._ramp, this._high);
    this.node.append(this._title, this._canvas, this._range);
  }

  readonly node: HTMLElement;

  /** The map over its picture, as drawn (what the pair's export draws). */
  get canvas(): HTMLCanvasElement {
    return this._canvas;
  }

  render(
    side: ISide | null,
    options: { opacity: number; colormap: ColormapName; box: boolean },
    trans: TranslationBundle
  ): void {
    this.node.hidden = side === null;
    if (!side) {
      return;
    }
    const data = this.node.dataset;
    data.method = side.method;
    data.model = side.model;
    data.layer = side.layer;
    data.target = side.target === null ? '' : String(side.target);
    const where = [
      side.model,
      side.method,
      shortLayerName(side.layer),
      side.target === null ? '' : trans.__('class %1', side.target)
    ].filter(part => part !== '');
    this._title.textContent = where.join(' \u00b7 ');
    this._title.title = side.layer;
    this._canvas.setAttribute('aria-label', where.join(', '));
    const look = {
      opacity: options.opacity,
      colormap: options.colormap
    };
    const pixels = this._compositor.paint(side.picture, side.map, look);
    const box =
      options.box && side.map.channels === 1
        ? this._compositor.boxOf(side.map)
        : undefined;
    putOnCanvas(this._canvas, side.picture, pixels, side.map, box);

    this._range.hidden = side.range === null;
    if (side.range) {
      this._range.dataset.low = String(side.range.low);
      this._range.dataset.high = String(side.range.high);
      this._low.textContent = formatValue(side.range.low);
      this._high.textContent = formatValue(side.range.high);
      if (this._rampColormap !== look.colormap) {
        this._rampColormap = look.colormap;
        const values = Float32Array.from({ length: 256 }, (_, i) => i / 255);
        this._ramp
          .getContext('2d')
          ?.putImageData(
            new ImageData(
              new Uint8ClampedArray(colorise(values, look.colormap)),
              256,
              1
            ),
            0,
            0
          );
      }
    }
  }

  private _title: HTMLElement;
  private _canvas: HTMLCanvasElement;
  private _range: HTMLElement;
  private _low: HTMLElement;
  private _ramp: HTMLCanvasElement;
  private _high: HTMLElement;
  private _rampColormap = '';
  private _compositor = new MapCompositor();
}

function option(value: string, text: string): HTMLOptionElement {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = text;
  return element;
}

/** `control` under a visible label. */
function field(label: string, control: HTMLElement): HTMLElement {
  const element = document.createElement('label');
  element.className = 'jp-GradCAM-field';
  const text = document.createElement('span');
  text.textContent = label;
  element.append(text, control);
  return element;
}
