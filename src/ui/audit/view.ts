/**
 * The audit view, `.jp-GradCAM-audit` with `data-state` (idle, running, ready, error): a header
 * naming the data set, progress with Cancel, errors in words with Run again, a summary, the class
 * cards, the gallery's filters and order, the gallery, and Send to kernel. It renders an
 * AuditModel; clicking an image hands its source to `openItem` (the single-image panel).
 */
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import type { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import type { ISource } from '../tokens';
import { classCard } from './classCard';
import { AuditGallery } from './gallery';
import { AuditModel, Correctness, IAuditSettings, SortOrder } from './model';
import type { AuditRunner } from './tokens';

/** Views made so far, for unique ids. */
let viewCount = 0;

/** The audit view of one audit() output. */
export class AuditView extends Panel {
  constructor(options: AuditView.IOptions) {
    super();
    this._trans = (options.translator ?? nullTranslator).load(
      'jupyterlab_gradcam'
    );
    const trans = this._trans;
    this.id = `jp-GradCAM-audit-${++viewCount}`;
    this.addClass('jp-GradCAM-audit');
    this.title.label = trans.__('Grad-CAM audit');
    this.title.closable = true;
    this.model = new AuditModel({
      run: options.run,
      settings: options.settings
    });
    this._openItem = options.openItem;

    this._status = new Widget({ node: element('div', 'jp-GradCAM-status') });
    this._header = element('div', 'jp-GradCAM-header');
    this._progress = this._progressElement();
    this._error = element('div', 'jp-GradCAM-error');
    this._error.setAttribute('role', 'alert');
    this._rerun = button(trans.__('Run again'), 'jp-GradCAM-rerun');
    this._rerun.onclick = () => void this.model.rerun();
    this._summary = element('div', 'jp-GradCAM-auditSummary');
    // Said apart from the summary: the maps of a kernel-computed audit are not the page's.
    this._computed = element('div', 'jp-GradCAM-auditComputed');
    this._status.node.append(
      this._header,
      this._computed,
      this._progress,
      this._error,
      this._rerun,
      this._summary
    );
    this._cards = new Widget({ node: element('div', 'jp-GradCAM-classCards') });
    this._toolbar = new Widget({ node: this._toolbarElement() });
    this.gallery = new AuditGallery({
      model: this.model,
      trans,
      open: index => this._openImage(index)
    });
    this._actions = new Widget({ node: this._actionsElement() });
    for (const widget of [
      this._status,
      this._cards,
      this._toolbar,
      this.gallery,
      this._actions
    ]) {
      this.addWidget(widget);
    }
    this.model.changed.connect(this._onChange, this);
    this._render('source');
  }

  /** The view's model. */
  readonly model: AuditModel;

  /** The gallery. */
  readonly gallery: AuditGallery;

  /** Takes new settings (live). */
  updateSettings(settings: Partial<IAuditSettings>): void {
    this.model.updateSettings(settings);
  }

  /** Frees the model with the view. */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  /** Closing the tab disposes the view: the audit's maps and pictures go with it. */
  protected onCloseRequest(msg: Message): void {
    super.onCloseRequest(msg);
    this.dispose();
  }

  private _onChange(_: AuditModel, change: AuditModel.Change): void {
    this._render(change);
  }

  private _render(change: AuditModel.Change): void {
    const model = this.model;
    const trans = this._trans;
    const data = this.node.dataset;
    data.state = model.state;
    const running = model.state === 'running';
    this._progress.hidden = !running;
    (this._progress.querySelector('progress') as HTMLProgressElement).value =
      model.progress.fraction;
    (
      this._progress.querySelector('.jp-GradCAM-progressText') as HTMLElement
    ).textContent = model.progress.message;
    if (change === 'progress') {
      return;
    }
    const source = model.source;
    if (source) {
      data.handle = source.options.handle;
      this.title.label = trans.__('Audit: %1', source.label);
      this._header.textContent = trans.__(
        'Audit of %1 images (%2) from %3',
        source.options.count,
        source.options.image_shape.join('\u00d7'),
        source.label
      );
    } else {
      this._header.textContent = trans.__(
        'Run jupyterlab_gradcam.audit(model, images, labels) in a notebook cell.'
      );
    }
    this._error.textContent = model.error;
    this._error.hidden = model.error === '';
    this._error.classList.toggle('jp-mod-note', model.state !== 'error');
    this._rerun.hidden =
      !(model.state === 'error' || model.state === 'idle') || !source;
    this._sent.textContent = model.sent;
    const report = model.report;
    this._toolbar.node.hidden = report === null;
    this._actions.node.hidden = report === null;
    this.gallery.node.hidden = report === null;
    this._sendButton.disabled = !report || !source?.sendResult;
    if (change === 'sent') {
      return;
    }
    this._renderSummary();
    this._renderCards();
    this._renderToolbar();
  }

  private _renderSummary(): void {
    const report = this.model.report;
    const trans = this._trans;
    const data = this.node.dataset;
    const given = this.model.source?.options.maps;
    this._computed.hidden = !given;
    this._computed.dataset.computed = given?.computed ?? '';
    this._computed.textContent = given
      ? trans.__(
          'Maps computed in %1 (%2 images)',
          given.computed,
          this.model.source!.options.count
        )
      : '';
    if (!report) {
      this._summary.textContent = '';
      delete data.seconds;
      return;
    }
    const flagged = report.classes.filter(c => c.flagged).map(c => c.name);
    const parts = [
      trans.__(
        '%1 images, %2 at layer %3 on %4',
        report.images,
        report.method,
        report.layer,
        report.backend
      ),
      report.accuracy === null
        ? ''
        : trans.__('accuracy %1%', (report.accuracy * 100).toFixed(1)),
      flagged.length
        ? trans.__('flagged: %1', flagged.join(', '))
        : trans.__('no class flagged'),
      trans.__(
        'maps in %1 s, audit in %2 s',
        report.seconds.maps.toFixed(1),
        report.seconds.total.toFixed(1)
      )
    ];
    this._summary.textContent = parts.filter(Boolean).join(' \u00b7 ');
    data.seconds = report.seconds.total.toFixed(2);
    data.mapSeconds = report.seconds.maps.toFixed(2);
    data.imageRequests = String(this.model.imageRequests);
  }

  private _renderCards(): void {
    const model = this.model;
    const report = model.report;
    const node = this._cards.node;
    node.replaceChildren();
    if (!report) {
      return;
    }
    const filter = model.filter;
    // Flagged classes first; classes with no image (by label or prediction) have nothing to show.
    const classes = report.classes
      .filter(c => c.count > 0 || c.by_prediction.count > 0)
      .sort(
        (a, b) => Number(b.flagged) - Number(a.flagged) || a.index - b.index
      );
    for (const cls of classes) {
      node.append(
        classCard(cls, report, {
          trans: this._trans,
          colormap: model.settings.colormap,
          selected: filter.cls === cls.index,
          selectedCluster: filter.cluster,
          select: (index, cluster) => {
            const same = filter.cls === index && filter.cluster === cluster;
            // A second click on the chosen class (or cluster) shows every image again.
            model.setFilter(
              same ? { cls: null, cluster: null } : { cls: index, cluster }
            );
          }
        })
      );
    }
  }

  private _renderToolbar(): void {
    const model = this.model;
    const report = model.report;
    const filter = model.filter;
    const trans = this._trans;
    if (!report) {
      return;
    }
    const labelled = report.items.some(item => item.label !== null);
    const classOptions: [string, string][] = [
      ['', trans.__('All classes')],
      ...report.classes.map(c => [String(c.index), c.name] as [string, string])
    ];
    fillSelect(
      this._classSelect,
      classOptions,
      filter.cls === null ? '' : String(filter.cls)
    );
    const clusters =
      filter.cls === null ? [] : (report.classes[filter.cls]?.clusters ?? []);
    fillSelect(
      this._clusterSelect,
      [
        ['', trans.__('All clusters')],
        ...clusters.map(
          (c, k) =>
            [String(k), trans.__('Cluster %1 (%2)', k + 1, c.size)] as [
              string,
              string
            ]
        )
      ],
      filter.cluster === null ? '' : String(filter.cluster)
    );
    this._clusterSelect.disabled = clusters.length === 0;
    this._correctSelect.value = filter.correctness;
    this._correctSelect.disabled = !labelled;
    this._flaggedInput.checked = filter.flagged;
    this._sortSelect.value = filter.sort;
    this._count.textContent = trans.__(
      'Showing %1 of %2 images',
      model.items.length,
      report.images
    );
  }

  /** Opens image `index` in the single-image panel. */
  private _openImage(index: number): void {
    const source = this.model.itemSource(index);
    if (source) {
      this.node.dataset.opened = String(index);
      this._openItem(source);
    }
  }

  private _progressElement(): HTMLElement {
    const node = element('div', 'jp-GradCAM-progress');
    const bar = document.createElement('progress');
    bar.max = 1;
    const text = element('span', 'jp-GradCAM-progressText');
    const cancel = button(this._trans.__('Cancel'), 'jp-GradCAM-cancel');
    cancel.onclick = () => this.model.cancel();
    node.append(bar, text, cancel);
    return node;
  }

  private _toolbarElement(): HTMLElement {
    const trans = this._trans;
    const node = element('div', 'jp-GradCAM-auditToolbar');
    this._classSelect = select('jp-GradCAM-auditClass', trans.__('Class'));
    this._classSelect.onchange = () =>
      this.model.setFilter({
        cls:
          this._classSelect.value === ''
            ? null
            : Number(this._classSelect.value)
      });
    this._correctSelect = select(
      'jp-GradCAM-auditCorrect',
      trans.__('Correct or wrong')
    );
    fillSelect(
      this._correctSelect,
      [
        ['all', trans.__('Right and wrong')],
        ['correct', trans.__('Right only')],
        ['wrong', trans.__('Wrong only')]
      ],
      'all'
    );
    this._correctSelect.onchange = () =>
      this.model.setFilter({
        correctness: this._correctSelect.value as Correctness
      });
    this._clusterSelect = select(
      'jp-GradCAM-auditCluster',
      trans.__('Cluster')
    );
    this._clusterSelect.onchange = () =>
      this.model.setFilter({
        cluster:
          this._clusterSelect.value === ''
            ? null
            : Number(this._clusterSelect.value)
      });
    const flagged = element('label', 'jp-GradCAM-auditFlaggedLabel');
    this._flaggedInput = document.createElement('input');
    this._flaggedInput.type = 'checkbox';
    this._flaggedInput.className = 'jp-GradCAM-auditFlagged';
    this._flaggedInput.onchange = () =>
      this.model.setFilter({ flagged: this._flaggedInput.checked });
    flagged.append(this._flaggedInput, trans.__('Flagged region only'));
    this._sortSelect = select('jp-GradCAM-auditSort', trans.__('Order'));
    fillSelect(
      this._sortSelect,
      [
        ['index', trans.__('Data set order')],
        ['confidence-desc', trans.__('Most confident first')],
        ['confidence-asc', trans.__('Least confident first')]
      ],
      'index'
    );
    this._sortSelect.onchange = () =>
      this.model.setFilter({ sort: this._sortSelect.value as SortOrder });
    this._count = element('span', 'jp-GradCAM-auditCount');
    node.append(
      this._classSelect,
      this._correctSelect,
      this._clusterSelect,
      flagged,
      this._sortSelect,
      this._count
    );
    return node;
  }

  private _actionsElement(): HTMLElement {
    const trans = this._trans;
    const node = element('div', 'jp-GradCAM-actions');
    this._sendName = document.createElement('input');
    this._sendName.className = 'jp-GradCAM-resultName';
    this._sendName.value = 'audit';
    this._sendName.setAttribute(
      'aria-label',
      trans.__('Name in jupyterlab_gradcam.results')
    );
    this._sendButton = button(
      trans.__('Send report and maps to kernel'),
      'jp-GradCAM-send'
    );
    this._sendButton.onclick = () => {
      const name = this._sendName.value.trim();
      if (name) {
        void this.model.send(name);
      }
    };
    this._sent = element('span', 'jp-GradCAM-sent');
    this._sent.setAttribute('aria-live', 'polite');
    node.append(this._sendName, this._sendButton, this._sent);
    return node;
  }

  private _trans: TranslationBundle;
  private _openItem: (source: ISource) => void;
  private _status: Widget;
  private _header: HTMLElement;
  private _progress: HTMLElement;
  private _error: HTMLElement;
  private _rerun: HTMLButtonElement;
  private _summary: HTMLElement;
  private _computed: HTMLElement;
  private _cards: Widget;
  private _toolbar: Widget;
  private _actions: Widget;
  private _classSelect!: HTMLSelectElement;
  private _correctSelect!: HTMLSelectElement;
  private _clusterSelect!: HTMLSelectElement;
  private _flaggedInput!: HTMLInputElement;
  private _sortSelect!: HTMLSelectElement;
  private _count!: HTMLElement;
  private _sendName!: HTMLInputElement;
  private _sendButton!: HTMLButtonElement;
  private _sent!: HTMLElement;
}

/** The AuditView's companions. */
export namespace AuditView {
  /** Options of a new view. */
  export interface IOptions {
    /** Runs the engine's audit. */
    run: AuditRunner;
    /** Backend, colormap and opacity. */
    settings: IAuditSettings;
    /** Opens one image in the single-image panel. */
    openItem: (source: ISource) => void;
    /** Translates the view's text; English when absent. */
    translator?: ITranslator;
  }
}

function element(tag: string, className: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}

function button(text: string, className: string): HTMLButtonElement {
  const node = document.createElement('button');
  node.type = 'button';
  node.className = `${className} jp-mod-styled`;
  node.textContent = text;
  return node;
}

function select(className: string, label: string): HTMLSelectElement {
  const node = document.createElement('select');
  node.className = `${className} jp-mod-styled`;
  node.setAttribute('aria-label', label);
  node.title = label;
  return node;
}

/** Replaces a select's options (value, text) and selects `value`. */
function fillSelect(
  node: HTMLSelectElement,
  options: [string, string][],
  value: string
): void {
  const same =
    node.options.length === options.length &&
    options.every(
      ([v, text], i) =>
        node.options[i].value === v && node.options[i].text === text
    );
  if (!same) {
    node.replaceChildren(
      ...options.map(([v, text]) => {
        const option = document.createElement('option');
        option.value = v;
        option.text = text;
        return option;
      })
    );
  }
  node.value = value;
}
