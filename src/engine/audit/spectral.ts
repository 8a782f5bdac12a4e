/**
 * Spectral clustering of explanations, as SpRAy does it (Lapuschkin et al., "Unmasking Clever
 * Hans predictors", Nat. Commun. 2019): a k-nearest-neighbour affinity between downsampled
 * normalised maps, the eigen-decomposition of the normalised graph Laplacian, the number of
 * clusters where the gap between consecutive eigenvalues is largest, then k-means on the leading
 * eigenvectors (Ng, Jordan & Weiss). Affinities use a local scale per map (Zelnik-Manor & Perona,
 * self-tuning spectral clustering), so no global bandwidth is tuned.
 *
 * Past `sample` maps, an evenly spaced sample is clustered exactly and every other map joins the
 * cluster whose mean map is nearest: the eigen-solver is O(n^3) and a few hundred maps show the
 * strategies a class uses.
 */
import { symmetricEigen } from './jacobi';
import { closest, kmeans, squaredDistance } from './kmeans';

/** Options of `spectralClusters`. */
export interface SpectralOptions {
  /** Most clusters considered by the eigengap (default 8). */
  maxClusters?: number;
  /** Neighbours per map in the affinity graph (default 10). */
  neighbours?: number;
  /** Most maps clustered exactly (default 200). */
  sample?: number;
}

/** The cluster of each vector, clusters numbered largest first. */
export function spectralClusters(
  vectors: Float64Array[],
  options: SpectralOptions = {}
): number[] {
  const n = vectors.length;
  if (n < 4) {
    return vectors.map(() => 0);
  }
  const sampleSize = Math.min(n, options.sample ?? 200);
  const sample = Array.from({ length: sampleSize }, (_, i) =>
    Math.floor((i * n) / sampleSize)
  );
  const sampled = sample.map(i => vectors[i]);
  const local = clusterExactly(
    sampled,
    Math.min(options.maxClusters ?? 8, sampleSize - 1),
    Math.min(options.neighbours ?? 10, sampleSize - 1)
  );
  let assignment: number[];
  if (sampleSize === n) {
    assignment = local;
  } else {
    const used = [...new Set(local)];
    const means = used.map(c =>
      meanOf(sampled.filter((_, i) => local[i] === c))
    );
    assignment = vectors.map(v => used[closest(v, means)]);
  }
  return largestFirst(assignment);
}

function clusterExactly(
  vectors: Float64Array[],
  maxClusters: number,
  neighbours: number
): number[] {
  const n = vectors.length;
  const distance = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = Math.sqrt(squaredDistance(vectors[i], vectors[j]));
      distance[i * n + j] = d;
      distance[j * n + i] = d;
    }
  }
  // Each map's k nearest neighbours and its local scale (the distance to the k-th).
  const near: number[][] = [];
  const scale = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const order = Array.from({ length: n }, (_, j) => j)
      .filter(j => j !== i)
      .sort((a, b) => distance[i * n + a] - distance[i * n + b] || a - b)
      .slice(0, neighbours);
    near.push(order);
    scale[i] = Math.max(distance[i * n + order[order.length - 1]], 1e-9);
  }
  const affinity = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (const j of near[i]) {
      const w = Math.exp(-(distance[i * n + j] ** 2) / (scale[i] * scale[j]));
      affinity[i * n + j] = w;
      affinity[j * n + i] = w;
    }
  }
  const degree = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      degree[i] += affinity[i * n + j];
    }
  }
  // D^-1/2 W D^-1/2: its largest eigenvalues are 1 - the Laplacian's smallest.
  const normalised = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const d = Math.sqrt(degree[i] * degree[j]);
      normalised[i * n + j] = d > 0 ? affinity[i * n + j] / d : 0;
    }
  }
  const { values, vectors: eigenvectors } = symmetricEigen(normalised, n);
  // Laplacian eigenvalues ascending: 1 - the normalised affinity's, from its largest down.
  const laplacian = Array.from({ length: n }, (_, k) => 1 - values[n - 1 - k]);
  let k = 1;
  let gap = -Infinity;
  for (let c = 1; c <= maxClusters; c++) {
    const g = laplacian[c] - laplacian[c - 1];
    if (g > gap + 1e-12) {
      gap = g;
      k = c;
    }
  }
  if (k === 1) {
    return vectors.map(() => 0);
  }
  const embedded = vectors.map((_, i) => {
    const row = Float64Array.from(
      { length: k },
      (_, c) => eigenvectors[n - 1 - c][i]
    );
    const norm = Math.hypot(...row) || 1;
    return row.map(x => x / norm);
  });
  return kmeans(embedded, k);
}

function meanOf(vectors: Float64Array[]): Float64Array {
  const mean = new Float64Array(vectors[0].length);
  for (const v of vectors) {
    v.forEach((x, d) => (mean[d] += x / vectors.length));
  }
  return mean;
}

/** Renumbers clusters by size, largest first (ties: the one whose first member comes first). */
function largestFirst(assignment: number[]): number[] {
  const sizes = new Map<number, { size: number; first: number }>();
  assignment.forEach((c, i) => {
    const entry = sizes.get(c) ?? { size: 0, first: i };
    entry.size++;
    sizes.set(c, entry);
  });
  const order = [...sizes.entries()]
    .sort((a, b) => b[1].size - a[1].size || a[1].first - b[1].first)
    .map(([c]) => c);
  const renumber = new Map(order.map((c, rank) => [c, rank]));
  return assignment.map(c => renumber.get(c)!);
}
