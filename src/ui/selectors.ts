/**
 * The panel's controls, as native selects, inputs and buttons (keyboard reachable): method, view,
 * layer, output, class (top-k and any index), opacity, colormap, box, export. Their class names
 * and option values are stable hooks for tests (DESIGN.md, "The user interface").
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { COLORMAPS, ColormapName } from '../engine/image';
import { ILayerMark, LayerMarks, markElement } from './metrics/marks';
import type { ExplanationModel } from './model';
import { Normalisation, NORMALISATIONS } from './scale';
import { METHOD_NAMES, methodTraits } from '../engine/methods';
import { layerNamesView, ILayerNamesView } from './layerNamesView';
import { listedLayers } from './names';
import type { ILayer } from './tokens';

/** The controls of one panel. */
export class SelectorsView extends Widget {
  constructor(options: SelectorsView.IOptions) {
    super();
    this.addClass('jp-GradCAM-selectors');
    this._model = options.model;
    this._trans = options.trans;
    this._marks = options.marks;
    const trans = this._trans;

    this._method = this._select('jp-GradCAM-methodSelect', trans.__('Method'));
    for (const method of METHOD_NAMES) {
      this._method.appendChild(option(method, method));
    }
    this._method.onchange = () =>
      void this._model.setMethod(this._method.value);

    this._layer = this._select('jp-GradCAM-layerSelect', trans.__('Layer'));
    this._layer.onchange = () => void this._model.setLayer(this._layer.value);
    this._layerNames = layerNamesView(this._layer, trans, () => this.render());

    this._output = this._select('jp-GradCAM-outputSelect', trans.__('Output'));
    this._output.onchange = () =>
      void this._model.setOutput(this._output.value);

    this._class = this._select('jp-GradCAM-classSelect', trans.__('Class'));
    this._class.onchange = () =>
      void this._model.setTarget(Number(this._class.value));

    this._classInput = document.createElement('input');
    this._classInput.type = 'number';
    this._classInput.min = '0';
    this._classInput.step = '1';
    this._classInput.className = 'jp-GradCAM-classInput';
    this._classInput.title = trans.__('Any class index; Enter to explain it');
    this._classInput.setAttribute('aria-label', trans.__('Class index'));
    this._classInput.onchange = () => {
      const text = this._classInput.value.trim();
      if (text !== '') {
        void this._model.setTarget(Number(text));
      }
    };
    this._field(trans.__('Index'), this._classInput);

    this._opacity = document.createElement('input');
    this._opacity.type = 'range';
    this._opacity.min = '0';
    this._opacity.max = '1';
    this._opacity.step = '0.05';
    this._opacity.className = 'jp-GradCAM-opacity';
    this._opacity.oninput = () =>
      this._model.setOpacity(Number(this._opacity.value));
    this._field(trans.__('Opacity'), this._opacity);

    this._colormap = this._select(
      'jp-GradCAM-colormapSelect',
      trans.__('Colormap')
    );
    for (const name of COLORMAPS) {
      this._colormap.appendChild(option(name, name));
    }
    this._colormap.onchange = () =>
      this._model.setColormap(this._colormap.value as ColormapName);

    this._scale = this._select('jp-GradCAM-scaleSelect', trans.__('Scale'));
    const scaleLabels: Record<Normalisation, string> = {
      map: trans.__('Per map'),
      classes: trans.__('Shared across classes'),
      layers: trans.__('Shared across layers')
    };
    for (const normalisation of NORMALISATIONS) {
      this._scale.appendChild(
        option(normalisation, scaleLabels[normalisation])
      );
    }
    this._scale.title = trans.__(
      'Per map stretches each map to its own range; a shared scale divides the raw maps compared by their largest value, so that their colours compare'
    );
    this._scale.onchange = () =>
      this._model.setNormalisation(this._scale.value);

    this._box = document.createElement('input');
    this._box.type = 'checkbox';
    this._box.className = 'jp-GradCAM-boxToggle';
    this._box.onchange = () => this._model.setShowBox(this._box.checked);
    // Says which box is drawn: the paper's largest region is for the localisation measure only.
    this._box.title = trans.__(
      "Frame the region above 15% of the map's maximum that holds the maximum (the paper's localisation measure boxes the largest such region instead)"
    );
    this._field(trans.__('Box (peak region)'), this._box);

    this._model.changed.connect(this._onChange, this);
    this.render();
  }

  /** Updates every control from the model. */
  render(): void {
    this._renderChoices();
    this._renderDisplay();
  }

  /**
   * The choices of what is shown: method, layer, output and class. Their options are made only
   * when their text changes (a switch sets the values: 72 layers' options were made per step).
   */
  private _renderChoices(): void {
    const model = this._model;
    const trans = this._trans;
    const loaded = model.layers.length > 0 || model.outputs.length > 0;
    for (const control of [
      this._method,
      this._layer,
      this._class,
      this._classInput,
      this._output
    ]) {
      control.disabled = !loaded;
    }

    // One control for what is shown: the method select names the map on screen (Guided
    // Grad-CAM and the counterfactual map are methods of their own).
    this._method.value = model.shownMethod;

    const marks = this._marks;
    replaceOptions(
      this._layer,
      listedLayers(model.layers, this._layerNames.all, model.layer).map(
        layer => {
          const mark = marks?.(layer.name) ?? null;
          return {
            value: layer.name,
            text: layerText(layer, trans) + (mark?.text ?? ''),
            mark
          };
        }
      )
    );
    this._layer.value = model.layer;
    this._layerNames.render(model.layers, model.layer);
    this._layer.disabled = !loaded || !model.usesLayer;

    replaceOptions(
      this._output,
      model.outputs.map(name => ({ value: name, text: name }))
    );
    this._output.value = model.output;
    this._fieldOf(this._output).hidden = model.outputs.length < 2;

    replaceOptions(
      this._class,
      model.listedClasses.map(c => {
        const label = model.labelOf(c.index);
        const name = label ? `${c.index} ${label}` : String(c.index);
        const text = Number.isFinite(c.score)
          ? trans.__(
              '%1: %2 (%3%)',
              name,
              c.score.toFixed(2),
              (c.probability * 100).toFixed(1)
            )
          : name;
        return { value: String(c.index), text };
      })
    );
    if (model.target !== null) {
      this._class.value = String(model.target);
      // The index field follows the chosen class, unless the user is typing in it.
      if (document.activeElement !== this._classInput) {
        this._classInput.value = String(model.target);
      }
    }
    // A map without a target (Eigen-CAM) is the same for every class.
    const hasTarget = methodTraits(model.shownMethod).hasTarget;
    this._class.disabled = !loaded || !hasTarget;
    this._classInput.disabled = this._class.disabled;
    if (model.classCount > 0) {
      this._classInput.max = String(model.classCount - 1);
      this._classInput.placeholder = `0-${model.classCount - 1}`;
    }
  }

  /** How the map is drawn: opacity, colormap, box and scale (an opacity step sets only these). */
  private _renderDisplay(): void {
    const model = this._model;
    this._opacity.value = String(model.opacity);
    this._colormap.value = model.colormap;
    this._box.checked = model.showBox;
    // An image (guided backpropagation) is drawn as it is: no colormap, opacity or box.
    const image = model.current !== null && model.current.channels !== 1;
    this._opacity.disabled = image;
    this._colormap.disabled = image;
    this._box.disabled = image;
    this._scale.value = model.normalisation;
    // Images (guided backpropagation, input gradients) have no raw map to put on a scale.
    this._scale.disabled = model.scaleRange === null;
  }

  private _onChange(
    _: ExplanationModel,
    change: ExplanationModel.Change
  ): void {
    if (change === 'state' || change === 'source' || change === 'selection') {
      this.render();
    } else if (change === 'display') {
      this._renderDisplay();
    }
  }

  /** A labelled select with the given class, appended to the controls. */
  private _select(className: string, label: string): HTMLSelectElement {
    const select = document.createElement('select');
    select.className = className;
    this._field(label, select);
    return select;
  }

  /** Appends `control` under a visible label (the label names it for screen readers too). */
  private _field(label: string, control: HTMLElement): void {
    const field = document.createElement('label');
    field.className = 'jp-GradCAM-field';
    const text = document.createElement('span');
    text.textContent = label;
    field.append(text, control);
    this.node.appendChild(field);
  }

  private _fieldOf(control: HTMLElement): HTMLElement {
    return control.parentElement as HTMLElement;
  }

  private _model: ExplanationModel;
  private _trans: TranslationBundle;
  private _marks: LayerMarks | undefined;
  private _method: HTMLSelectElement;
  private _layer: HTMLSelectElement;
  private _layerNames: ILayerNamesView;
  private _output: HTMLSelectElement;
  private _class: HTMLSelectElement;
  private _classInput: HTMLInputElement;
  private _opacity: HTMLInputElement;
  private _colormap: HTMLSelectElement;
  private _box: HTMLInputElement;
  private _scale: HTMLSelectElement;
}

/** The SelectorsView's companions. */
export namespace SelectorsView {
  /** Options of new controls. */
  export interface IOptions {
    /** The panel's model. */
    model: ExplanationModel;
    /** The panel's translations. */
    trans: TranslationBundle;
    /** Marks on layers (the recommended one); none when absent. */
    marks?: LayerMarks;
  }
}

/**
 * A layer as the layer select lists it: its readable label (or tensor name), op and shape, the
 * grid of a token or channels-last layer, and a mark on the default.
 */
export function layerText(layer: ILayer, trans: TranslationBundle): string {
  const shape = layer.shape.join('\u00d7');
  const grid =
    layer.grid && layer.layout && layer.layout !== 'NCHW'
      ? `, ${layer.layout} ${layer.grid.join('\u00d7')}` +
        (layer.extraTokens ? ` + ${layer.extraTokens}` : '')
      : '';
  const text = `${layer.label ?? layer.name} (${layer.op}, ${shape}${grid})`;
  return layer.isDefault ? trans.__('%1 - default', text) : text;
}

function option(value: string, text: string): HTMLOptionElement {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = text;
  return element;
}

/** An option of a select: its value, text, and the layer's mark (the recommended layer). */
interface IOption {
  value: string;
  text: string;
  mark?: ILayerMark | null;
}

/**
 * Replaces a select's options unless they are the same, comparing values and texts before any
 * element is made (keeps focus and scroll while switching).
 */
function replaceOptions(select: HTMLSelectElement, options: IOption[]): void {
  const same =
    select.options.length === options.length &&
    options.every(
      (o, i) =>
        select.options[i].value === o.value &&
        select.options[i].textContent === o.text
    );
  if (same) {
    return;
  }
  select.replaceChildren(
    ...options.map(o => {
      const element = option(o.value, o.text);
      if (o.mark !== undefined) {
        markElement(element, o.mark);
        element.title = o.mark?.title ?? '';
      }
      return element;
    })
  );
}
