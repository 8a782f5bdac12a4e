/**
 * Per-class statistics, one view at a time: the images labelled c (with their true class's maps)
 * or the images predicted c (with their predicted class's maps). Count, accuracy, confusions, the
 * mean normalised map, where the maps peak, the energy off the objects, and the clusters.
 */
import { MapSize, scaleToUnit } from '../image';
import { cellCentre } from './geometry';
import { ItemRecord } from './mapPhase';
import { spectralClusters } from './spectral';
import { AuditClassView, AuditCluster } from './types';

/** Which images and maps a view takes. */
export type ViewKind = 'label' | 'prediction';

/** Everything the views are computed from. */
export interface ViewInput {
  items: ItemRecord[];
  mapSize: MapSize;
  imageSize: MapSize;
  predicted: Float32Array;
  labelled?: Float32Array;
  peakGrid: number;
  clusterGrid: number;
  clusterSample: number;
  hasObjects: boolean;
}

/** A view of one class, plus each member's cluster (by item index). */
export interface ClassView {
  view: AuditClassView;
  members: ItemRecord[];
  clusterOf: Map<number, number>;
}

/** The class of an item in a view. */
export function classIn(kind: ViewKind, item: ItemRecord): number | null {
  return kind === 'label' ? item.label : item.prediction;
}

/** The layer cell where an item's map of the view peaks. */
export function peakIn(kind: ViewKind, item: ItemRecord): number {
  return kind === 'label' ? item.labelPeakCell! : item.peakCell;
}

/** An item's raw map of the view. */
export function rawMapIn(
  kind: ViewKind,
  item: ItemRecord,
  input: ViewInput
): Float32Array {
  const plane = input.mapSize.height * input.mapSize.width;
  const maps = kind === 'label' ? input.labelled! : input.predicted;
  return maps.subarray(item.index * plane, (item.index + 1) * plane);
}

/** The view of class c. */
export function classView(
  kind: ViewKind,
  c: number,
  input: ViewInput
): ClassView {
  const members = input.items.filter(item => classIn(kind, item) === c);
  const hasLabels = input.items.length > 0 && input.items[0].label !== null;
  const plane = input.mapSize.height * input.mapSize.width;
  const meanMap = new Float64Array(plane);
  const peaks = new Array<number>(input.peakGrid * input.peakGrid).fill(0);
  const vectors: Float64Array[] = [];
  let outsideSum = 0;
  let outsideCount = 0;
  const others = new Map<number, number>();
  for (const item of members) {
    const normalised = scaleToUnit(rawMapIn(kind, item, input));
    normalised.forEach((v, i) => (meanMap[i] += v / members.length));
    const [x, y] = cellCentre(
      peakIn(kind, item),
      input.mapSize,
      input.imageSize
    );
    const gx = Math.floor((x * input.peakGrid) / input.imageSize.width);
    const gy = Math.floor((y * input.peakGrid) / input.imageSize.height);
    peaks[gy * input.peakGrid + gx]++;
    vectors.push(downsample(normalised, input.mapSize, input.clusterGrid));
    const outside = kind === 'label' ? item.labelOutside : item.outside;
    if (outside !== null) {
      outsideSum += outside;
      outsideCount++;
    }
    const other = kind === 'label' ? item.prediction : item.label;
    if (other !== null && other !== c) {
      others.set(other, (others.get(other) ?? 0) + 1);
    }
  }
  const assignment = spectralClusters(vectors, { sample: input.clusterSample });
  const clusterOf = new Map<number, number>();
  const clusters: AuditCluster[] = [];
  assignment.forEach((cluster, m) => {
    clusterOf.set(members[m].index, cluster);
    while (clusters.length <= cluster) {
      clusters.push({ size: 0, accuracy: null, members: [], mean_map: [] });
    }
    clusters[cluster].members.push(members[m].index);
  });
  for (const cluster of clusters) {
    cluster.size = cluster.members.length;
    const mean = new Float64Array(plane);
    let correct = 0;
    for (const index of cluster.members) {
      const item = input.items[index];
      correct += item.label === item.prediction ? 1 : 0;
      scaleToUnit(rawMapIn(kind, item, input)).forEach(
        (v, i) => (mean[i] += v / cluster.size)
      );
    }
    cluster.accuracy = hasLabels ? correct / cluster.size : null;
    cluster.mean_map = Array.from(mean, round6);
  }
  const correct = members.filter(item => item.label === item.prediction).length;
  return {
    members,
    clusterOf,
    view: {
      count: members.length,
      accuracy:
        hasLabels && members.length > 0 ? correct / members.length : null,
      confusions: [...others.entries()]
        .sort((a, b) => b[1] - a[1] || a[0] - b[0])
        .map(([index, count]) => ({ index, count })),
      mean_map: Array.from(meanMap, round6),
      peaks,
      outside_energy:
        input.hasObjects && outsideCount > 0 ? outsideSum / outsideCount : null,
      clusters
    }
  };
}

/** Area-average of a map to at most grid x grid cells (a smaller map stays as it is). */
function downsample(
  map: Float32Array,
  size: MapSize,
  grid: number
): Float64Array {
  const rows = Math.min(grid, size.height);
  const cols = Math.min(grid, size.width);
  const out = new Float64Array(rows * cols);
  const counts = new Float64Array(rows * cols);
  for (let y = 0; y < size.height; y++) {
    const r = Math.floor((y * rows) / size.height);
    for (let x = 0; x < size.width; x++) {
      const c = Math.floor((x * cols) / size.width);
      out[r * cols + c] += map[y * size.width + x];
      counts[r * cols + c]++;
    }
  }
  return out.map((v, i) => v / counts[i]);
}

/** Six decimals are plenty for a map in [0, 1] and keep the JSON small. */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
