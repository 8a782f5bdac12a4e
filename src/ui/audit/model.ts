/**
 * The audit view's model, without a DOM: runs an audit of a source's data set (the model and
 * labels first, then the images in blocks through the engine), keeps the report, the maps and
 * small pictures of the images, and the gallery's filter and order. The view only renders it.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  AuditItem,
  AuditOptions,
  AuditReport,
  AuditResult,
  AuditGivenMaps
} from '../../engine/audit';
import type { MethodName } from '../../engine/methods';
import type { ColormapName } from '../../engine/image';
import type { ISource } from '../tokens';
import { BlockedImages } from './images';
import { AuditItemSource } from './itemSource';
import { Thumbnails } from './thumbnails';
import type { AuditRunner, IAuditSource } from './tokens';

/** What the view is doing, mirrored in its `data-state`. */
export type AuditState = 'idle' | 'running' | 'ready' | 'error';

/** Which items the gallery shows by correctness. */
export type Correctness = 'all' | 'correct' | 'wrong';

/** The gallery's order. */
export type SortOrder = 'index' | 'confidence-desc' | 'confidence-asc';

/** The gallery's filter and order. */
export interface IGalleryFilter {
  /** Only this class (by label; by prediction without labels); null for all. */
  cls: number | null;
  /** Right, wrong or all predictions (needs labels). */
  correctness: Correctness;
  /** Only this cluster of the chosen class; null for all. */
  cluster: number | null;
  /** Only the images whose evidence sits in their class's flagged region. */
  flagged: boolean;
  /** The order. */
  sort: SortOrder;
}

/** The gallery's filter when an audit opens. */
export const NO_FILTER: IGalleryFilter = {
  cls: null,
  correctness: 'all',
  cluster: null,
  flagged: false,
  sort: 'index'
};

/** How the view draws maps, and where the engine runs. */
export interface IAuditSettings {
  backend: 'auto' | 'webgpu' | 'wasm';
  colormap: ColormapName;
  overlayOpacity: number;
}

/** The model of one audit view. */
export class AuditModel implements IDisposable {
  constructor(options: AuditModel.IOptions) {
    this._run = options.run;
    this._settings = { ...options.settings };
  }

  /** Says what changed. */
  get changed(): ISignal<this, AuditModel.Change> {
    return this._changed;
  }

  /** Whether dispose() has run. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** idle, running, ready or error. */
  get state(): AuditState {
    return this._state;
  }

  /** The progress of a run: a fraction and what is being done. */
  get progress(): { fraction: number; message: string } {
    return this._progress;
  }

  /** Why the last run failed, or a note (a cancelled run); '' when there is nothing to say. */
  get error(): string {
    return this._error;
  }

  /** The source shown. */
  get source(): IAuditSource | null {
    return this._source;
  }

  /** The report once the audit is done. */
  get report(): AuditReport | null {
    return this._result?.report ?? null;
  }

  /** The report and the maps once the audit is done. */
  get result(): AuditResult | null {
    return this._result;
  }

  /** The images' pictures (filled while the audit runs). */
  get thumbnails(): Thumbnails | null {
    return this._thumbnails;
  }

  /** Requests made for images in the last run (one per block of images). */
  get imageRequests(): number {
    return this._images?.requests ?? 0;
  }

  /** How maps are drawn. */
  get settings(): IAuditSettings {
    return this._settings;
  }

  /** The gallery's filter and order. */
  get filter(): IGalleryFilter {
    return this._filter;
  }

  /** The items the gallery shows, as indices into the report's items, in the gallery's order. */
  get items(): readonly number[] {
    if (this._items === null) {
      this._items = selectItems(this.report, this._filter);
    }
    return this._items;
  }

  /** The name of class `index`. */
  className(index: number | null): string {
    if (index === null) {
      return '';
    }
    return this.report?.classes[index]?.name ?? `class ${index}`;
  }

  /** What the last send to the kernel said ('' before any). */
  get sent(): string {
    return this._sent;
  }

  /** Audits the source's data set (a run in progress is cancelled). */
  async open(source: IAuditSource): Promise<void> {
    this._cancelRun();
    const controller = new AbortController();
    this._controller = controller;
    this._source = source;
    this._result = null;
    this._modelBytes = null;
    this._filter = { ...NO_FILTER };
    this._items = null;
    this._sent = '';
    const options = source.options;
    this._thumbnails = new Thumbnails({
      count: options.count,
      itemDims: options.image_shape,
      layout: options.image_layout
    });
    this._images = new BlockedImages({
      source,
      onBlock: (start, images) => {
        this._thumbnails?.add(start, images);
      }
    });
    this._setState('running', '');
    this._setProgress(
      0,
      'Fetching the model, labels and boxes from the kernel'
    );
    this._changed.emit('source');
    const signal = controller.signal;
    try {
      const data = await source.load(signal);
      signal.throwIfAborted();
      this._modelBytes = data.model;
      const auditOptions: AuditOptions = {
        labels: data.labels ?? undefined,
        classes: options.classes ?? undefined,
        objects: data.boxes ?? undefined,
        mean: options.mean ?? undefined,
        std: options.std ?? undefined,
        method: (options.method ?? undefined) as MethodName | undefined,
        layer: options.layer ?? undefined,
        targetOutput: options.target_output ?? undefined,
        maps: givenMaps(source)
      };
      const running = this._run(data.model, this._images, auditOptions, {
        backend: this._settings.backend,
        signal,
        onProgress: (fraction, message) => {
          if (!signal.aborted) {
            this._setProgress(0.05 + 0.95 * fraction, message);
          }
        }
      });
      // Cancel answers at once: the engine stops at its next chunk (or once the model has
      // loaded), and what it then says is of no interest.
      running.catch(() => undefined);
      const result = await Promise.race([running, aborted(signal)]);
      this._result = result;
      this._items = null;
      this._setState('ready', '');
      this._changed.emit('result');
    } catch (error) {
      if (this._controller !== controller) {
        return; // another audit took over; this one's end is of no interest
      }
      if (signal.aborted) {
        this._setState(
          'idle',
          'The audit was cancelled: run it again to see its report.'
        );
      } else {
        this._setState('error', messageOf(error));
      }
      return;
    } finally {
      if (this._controller === controller) {
        this._controller = null;
      }
    }
    if (options.result) {
      await this.send(options.result);
    }
  }

  /** Runs the audit of the same source again (after a cancel or an error). */
  rerun(): Promise<void> {
    return this._source ? this.open(this._source) : Promise.resolve();
  }

  /** Cancels the run in progress (between chunks of images). */
  cancel(): void {
    this._controller?.abort();
  }

  /** Changes the gallery's filter or order; choosing another class clears the cluster. */
  setFilter(change: Partial<IGalleryFilter>): void {
    const next = { ...this._filter, ...change };
    if (
      change.cls !== undefined &&
      change.cls !== this._filter.cls &&
      change.cluster === undefined
    ) {
      next.cluster = null;
    }
    if (next.cls === null) {
      next.cluster = null;
    }
    this._filter = next;
    this._items = null;
    this._changed.emit('filter');
  }

  /** Takes new settings (live); a new backend counts from the next run. */
  updateSettings(settings: Partial<IAuditSettings>): void {
    this._settings = { ...this._settings, ...settings };
    this._changed.emit('look');
  }

  /** Puts the report and the maps [N, h, w] into the kernel's results[name]; says how it went. */
  async send(name: string): Promise<void> {
    const result = this._result;
    const source = this._source;
    if (!result || !source?.sendResult) {
      return;
    }
    const { size, predicted } = result.maps;
    this._sent = `Sending to jupyterlab_gradcam.results[${JSON.stringify(name)}]…`;
    this._changed.emit('sent');
    try {
      await source.sendResult(name, result.report, predicted, [
        result.report.images,
        size.height,
        size.width
      ]);
      this._sent = `Sent to jupyterlab_gradcam.results[${JSON.stringify(name)}]`;
    } catch (error) {
      this._sent = `The kernel did not take the report: ${messageOf(error)}`;
    }
    this._changed.emit('sent');
  }

  /** Image `index` as a source of the single-image panel (null before the report). */
  itemSource(index: number): ISource | null {
    const report = this.report;
    if (!report || !this._source || !this._modelBytes) {
      return null;
    }
    return new AuditItemSource({
      source: this._source,
      model: this._modelBytes,
      index,
      report
    });
  }

  /** The raw map of item `index`'s predicted class (layer resolution), or null. */
  rawMap(index: number): Float32Array | null {
    const maps = this._result?.maps;
    if (!maps) {
      return null;
    }
    const length = maps.size.height * maps.size.width;
    return maps.predicted.subarray(index * length, (index + 1) * length);
  }

  /** Cancels a run and lets go of the data. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._cancelRun();
    this._result = null;
    this._thumbnails = null;
    this._modelBytes = null;
    Signal.clearData(this);
  }

  private _cancelRun(): void {
    const controller = this._controller;
    this._controller = null;
    controller?.abort();
  }

  private _setState(state: AuditState, error: string): void {
    this._state = state;
    this._error = error;
    this._changed.emit('state');
  }

  private _setProgress(fraction: number, message: string): void {
    this._progress = { fraction, message };
    this._changed.emit('progress');
  }

  private _run: AuditRunner;
  private _settings: IAuditSettings;
  private _changed = new Signal<this, AuditModel.Change>(this);
  private _isDisposed = false;
  private _state: AuditState = 'idle';
  private _progress = { fraction: 0, message: '' };
  private _error = '';
  private _source: IAuditSource | null = null;
  private _controller: AbortController | null = null;
  private _result: AuditResult | null = null;
  private _modelBytes: Uint8Array | null = null;
  private _thumbnails: Thumbnails | null = null;
  private _images: BlockedImages | null = null;
  private _filter: IGalleryFilter = { ...NO_FILTER };
  private _items: number[] | null = null;
  private _sent = '';
}

/** The AuditModel's companions. */
export namespace AuditModel {
  /** Options of an audit model. */
  export interface IOptions {
    /** Runs the engine's audit. */
    run: AuditRunner;
    /** Backend, colormap and opacity. */
    settings: IAuditSettings;
  }

  /** What changed: the run's state or progress, the source, the report, the filter, the look, a send. */
  export type Change =
    'state' | 'progress' | 'source' | 'result' | 'filter' | 'look' | 'sent';
}

/** The items a filter lets through, in its order, as indices into report.items. */
export function selectItems(
  report: AuditReport | null,
  filter: IGalleryFilter
): number[] {
  if (!report) {
    return [];
  }
  const labelled = report.items.some(item => item.label !== null);
  const classOf = (item: AuditItem) =>
    labelled ? item.label : item.prediction;
  const chosen: number[] = [];
  report.items.forEach((item, i) => {
    if (filter.cls !== null && classOf(item) !== filter.cls) {
      return;
    }
    if (filter.cluster !== null && item.cluster !== filter.cluster) {
      return;
    }
    if (labelled && filter.correctness !== 'all') {
      const correct = item.label === item.prediction;
      if (correct !== (filter.correctness === 'correct')) {
        return;
      }
    }
    if (filter.flagged && !item.flagged) {
      return;
    }
    chosen.push(i);
  });
  if (filter.sort !== 'index') {
    const sign = filter.sort === 'confidence-desc' ? -1 : 1;
    const confidence = (i: number) => report.items[i].top[0]?.probability ?? 0;
    // Ties keep the data set's order (Array.prototype.sort is stable).
    chosen.sort((a, b) => sign * (confidence(a) - confidence(b)));
  }
  return chosen;
}

/** A promise that rejects when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(signal.reason ?? new Error('cancelled'));
    if (signal.aborted) {
      fail();
    } else {
      signal.addEventListener('abort', fail, { once: true });
    }
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The maps an audit() call was given (computed in the kernel or on a cluster), as the engine reads them. */
function givenMaps(source: IAuditSource): AuditGivenMaps | undefined {
  const maps = source.options.maps;
  const read = source.readMaps?.bind(source);
  if (!maps || !read) {
    return undefined;
  }
  return {
    computed: maps.computed,
    classes: maps.classes,
    mapSize: { height: maps.map_size[0], width: maps.map_size[1] },
    targetOutput: source.options.target_output ?? '',
    targetTensor: maps.target_tensor,
    probabilities: maps.probabilities,
    seconds: maps.seconds,
    read: (start, end, signal) => read(start, end - start, signal)
  };
}
