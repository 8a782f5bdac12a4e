/**
 * The metrics strip `.jp-GradCAM-metrics` under the map: the numbers of the shown map (each a
 * `.jp-GradCAM-metric` with `data-metric` = the CLI's JSON field and `data-value`), the deletion
 * and insertion curves as small SVG plots (`svg.jp-GradCAM-metricsCurve[data-curve]`, its y axis
 * scaled to the curve: `data-low`/`data-high`, beside `.jp-GradCAM-metricsTick` labels), the box
 * the localisation is measured against, the recommended layer with its criterion, progress with
 * Stop, and errors in one line. `data-state` mirrors the MetricsModel's state (README, "Hooks").
 */
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { CRITERION, MetricsModel, shortName } from './model';
import {
  curveAxis,
  curvePoints,
  formatTick,
  formatValue,
  metricRows
} from './values';

const SVG = 'http://www.w3.org/2000/svg';
/** The plots' drawing box, in SVG units (drawn at this size in CSS pixels). */
const PLOT_WIDTH = 120;
const PLOT_HEIGHT = 48;

/** The metrics strip of one panel. */
export class MetricsView extends Widget {
  constructor(options: MetricsView.IOptions) {
    super();
    this.addClass('jp-GradCAM-metrics');
    this._model = options.model;
    this._trans = options.trans ?? nullTranslator.load('jupyterlab_gradcam');
    const trans = this._trans;

    const header = element('div', 'jp-GradCAM-metricsHeader');
    const title = element('span', 'jp-GradCAM-metricsTitle');
    title.textContent = trans.__('Metrics');
    this._button = document.createElement('button');
    this._button.type = 'button';
    this._button.className = 'jp-GradCAM-metricsRun jp-mod-styled';
    this._button.onclick = () =>
      this._model.state === 'running'
        ? this._model.cancel()
        : this._model.start();
    const auto = document.createElement('label');
    auto.className = 'jp-GradCAM-metricsAutoField';
    this._auto = document.createElement('input');
    this._auto.type = 'checkbox';
    this._auto.className = 'jp-GradCAM-metricsAuto';
    this._auto.onchange = () => this._model.setAuto(this._auto.checked);
    auto.append(this._auto, trans.__('in the background'));
    auto.title = trans.__(
      'Score the shown map and rank every layer after each pass, without blocking the controls'
    );
    const road = document.createElement('label');
    road.className = 'jp-GradCAM-metricsRoadField';
    this._road = document.createElement('input');
    this._road.type = 'checkbox';
    this._road.className = 'jp-GradCAM-metricsRoad';
    this._road.onchange = () => this._model.setRoad(this._road.checked);
    road.append(this._road, trans.__('ROAD'));
    road.title = trans.__(
      'Also compute ROAD (noisy linear imputation at 20/40/60/80%): seconds on a small image, minutes at 224 px, holding up the page while it runs'
    );
    this._progress = document.createElement('progress');
    this._progress.className = 'jp-GradCAM-metricsProgress';
    this._progress.max = 1;
    this._status = element('span', 'jp-GradCAM-metricsStatus');
    header.append(
      title,
      this._button,
      auto,
      road,
      this._progress,
      this._status
    );

    this._error = element('div', 'jp-GradCAM-metricsError');
    this._error.setAttribute('role', 'alert');
    this._values = element('dl', 'jp-GradCAM-metricsValues');
    this._curves = element('div', 'jp-GradCAM-metricsCurves');
    this._box = element('div', 'jp-GradCAM-metricsBox');
    this._recommended = element('div', 'jp-GradCAM-metricsRecommended');
    this._recommended.title = trans.__(
      'Recommended layer: %1 (scored at %2 steps, without ROAD)',
      CRITERION,
      this._model.settings.rankSteps
    );
    this.node.append(
      header,
      this._error,
      this._values,
      this._curves,
      this._box,
      this._recommended
    );
    this._model.changed.connect(this.render, this);
    this.render();
  }

  /** Shows the model's state, numbers, curves, box and recommendation. */
  render(): void {
    const model = this._model;
    const trans = this._trans;
    const running = model.state === 'running';
    this.node.dataset.state = model.state;
    this._button.textContent = running ? trans.__('Stop') : trans.__('Score');
    this._button.disabled = !running && model.unscorable !== '';
    this._auto.checked = model.settings.auto;
    this._road.checked = model.settings.road;
    this._progress.hidden = !running;
    this._progress.value = model.progress.fraction;
    this._status.textContent = running
      ? trans.__(model.progress.message)
      : model.unscorable;
    this._error.textContent = model.error;
    this._error.hidden = model.error === '';

    const scores = model.scores;
    this._values.replaceChildren(
      ...(scores ? metricRows(scores) : []).map(row => {
        const item = element('div', 'jp-GradCAM-metric');
        item.dataset.metric = row.key;
        item.dataset.value = row.value === null ? row.text : String(row.value);
        item.title = trans.__(row.title);
        const term = element('dt', '');
        term.textContent = trans.__(row.label);
        const value = element('dd', '');
        value.textContent = row.text;
        item.append(term, value);
        return item;
      })
    );
    this._curves.replaceChildren(
      ...(scores
        ? [
            this._plot(
              'deletion',
              trans.__('deletion'),
              scores.deletionCurve,
              scores.deletionAuc
            ),
            this._plot(
              'insertion',
              trans.__('insertion'),
              scores.insertionCurve,
              scores.insertionAuc
            )
          ]
        : [])
    );

    const box = model.box;
    this._box.hidden = box === null && scores === null;
    this._box.textContent = box
      ? box.source === 'kernel'
        ? trans.__('Box from explain(): [%1]', box.corners.join(', '))
        : trans.__('Box drawn: [%1]', box.corners.join(', '))
      : trans.__(
          'Drag on the picture to draw a box for the localisation scores'
        );
    if (box?.source === 'drawn') {
      const clear = document.createElement('button');
      clear.type = 'button';
      clear.className = 'jp-GradCAM-metricsClearBox jp-mod-styled';
      clear.textContent = trans.__('Clear');
      clear.onclick = () => this._model.setDrawnBox(null);
      this._box.append(' ', clear);
    }

    const best = model.recommended;
    this._recommended.hidden = best === null;
    this._recommended.dataset.layer = best?.layer ?? '';
    this._recommended.textContent = best
      ? trans.__(
          'Recommended layer: %1 (insertion - deletion %2)',
          shortName(best.layer),
          best.score.toFixed(3)
        )
      : '';
  }

  /**
   * A small plot of a curve: p_t against the fraction of pixels deleted or inserted, its y axis
   * scaled to the curve (tick labels at both ends), so that a class at p = 0.002 still shows its
   * shape. The AUC is the engine's, of the unscaled curve, and the tooltip says so.
   */
  private _plot(
    kind: 'deletion' | 'insertion',
    label: string,
    curve: readonly number[],
    auc: number
  ): HTMLElement {
    const trans = this._trans;
    const axis = curveAxis([curve]);
    const low = formatTick(axis.low);
    const high = formatTick(axis.high);
    const x =
      kind === 'deletion'
        ? trans.__('fraction of pixels deleted')
        : trans.__('fraction of pixels inserted');
    const figure = element('figure', 'jp-GradCAM-metricsPlot');
    figure.title = trans.__(
      'p of the class (y, from %1 to %2: scaled to the curve) against the %3 (x, from 0 to 1), highest map values first. AUC %4 is the area under the unscaled curve (p from 0 to 1)',
      low,
      high,
      x,
      formatValue(auc)
    );
    const ticks = element('div', 'jp-GradCAM-metricsAxis');
    ticks.setAttribute('aria-hidden', 'true');
    ticks.append(tick('high', high), tick('low', low));
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'jp-GradCAM-metricsCurve');
    svg.dataset.curve = kind;
    svg.dataset.points = String(curve.length);
    svg.dataset.low = String(axis.low);
    svg.dataset.high = String(axis.high);
    svg.setAttribute('viewBox', `0 0 ${PLOT_WIDTH} ${PLOT_HEIGHT}`);
    svg.setAttribute('width', String(PLOT_WIDTH));
    svg.setAttribute('height', String(PLOT_HEIGHT));
    svg.setAttribute('role', 'img');
    svg.setAttribute(
      'aria-label',
      trans.__(
        '%1 curve: p of the class from %2 to %3 against the %4 from 0 to 1; AUC %5 of the unscaled curve',
        label,
        low,
        high,
        x,
        formatValue(auc)
      )
    );
    const frame = document.createElementNS(SVG, 'rect');
    frame.setAttribute('class', 'jp-GradCAM-metricsFrame');
    frame.setAttribute('width', String(PLOT_WIDTH));
    frame.setAttribute('height', String(PLOT_HEIGHT));
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('class', 'jp-GradCAM-metricsLine');
    line.setAttribute(
      'points',
      curvePoints(curve, axis, PLOT_WIDTH, PLOT_HEIGHT)
    );
    svg.append(frame, line);
    const caption = element('figcaption', '');
    caption.textContent = trans.__('%1 AUC %2', label, formatValue(auc));
    figure.append(ticks, svg, caption);
    return figure;
  }

  private _model: MetricsModel;
  private _trans: TranslationBundle;
  private _button: HTMLButtonElement;
  private _auto: HTMLInputElement;
  private _road: HTMLInputElement;
  private _progress: HTMLProgressElement;
  private _status: HTMLElement;
  private _error: HTMLElement;
  private _values: HTMLElement;
  private _curves: HTMLElement;
  private _box: HTMLElement;
  private _recommended: HTMLElement;
}

/** The MetricsView's companions. */
export namespace MetricsView {
  /** Options of a new strip. */
  export interface IOptions {
    /** The strip's model. */
    model: MetricsModel;
    /** The panel's translations. */
    trans?: TranslationBundle;
  }
}

/** A tick label of a plot's y axis (`data-tick` = `high` or `low`). */
function tick(end: 'high' | 'low', text: string): HTMLElement {
  const node = element('span', 'jp-GradCAM-metricsTick');
  node.dataset.tick = end;
  node.textContent = text;
  return node;
}

function element(tag: string, className: string): HTMLElement {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  return node;
}
