/**
 * ROAD's noisy linear imputation (Rong et al., "A Consistent and Efficient Evaluation Strategy
 * for Attribution Methods", ICML 2022; pytorch-grad-cam's NoisyLinearImputer): each removed
 * pixel takes the weighted mean of its 8 neighbours inside the image (weight 1/6 for the four
 * direct ones, 1/12 for the diagonals), removed neighbours included, so the removed pixels
 * solve one sparse linear system per channel; then seeded N(0, noise^2) noise is added to them.
 *
 * The system is a graph Laplacian with the kept pixels as boundary: symmetric positive definite
 * while at least one pixel is kept, so conjugate gradients solve it (float64, to a relative
 * residual of 1e-10) without the sparse direct solver the reference uses.
 */
import { normalStream } from './noise';

const NEIGHBOURS: readonly [number, number, number][] = [
  [-1, -1, 1 / 12],
  [-1, 0, 1 / 6],
  [-1, 1, 1 / 12],
  [0, -1, 1 / 6],
  [0, 1, 1 / 6],
  [1, -1, 1 / 12],
  [1, 0, 1 / 6],
  [1, 1, 1 / 12]
];

/** Options of `imputeRemoved`. */
export interface ImputeOptions {
  /** Standard deviation of the noise added to imputed values (0.01, as ROAD's). */
  noise: number;
  /** Seed of the noise; every imputed image starts the stream again. */
  seed: number;
}

/**
 * The image (C x H x W) with the pixels in `removed` (row-major indices, all channels) replaced
 * by the imputation; noise is drawn channel by channel, removed pixels by ascending index.
 */
export function imputeRemoved(
  image: Float32Array,
  channels: number,
  height: number,
  width: number,
  removed: ArrayLike<number>,
  options: ImputeOptions
): Float32Array {
  const pixels = height * width;
  if (removed.length >= pixels) {
    throw new RangeError(
      'ROAD cannot impute every pixel: keep at least one (removed percentages below 100)'
    );
  }
  const unknowns = Int32Array.from(removed).sort();
  const slot = new Int32Array(pixels).fill(-1);
  unknowns.forEach((p, i) => (slot[p] = i));
  const system = buildSystem(unknowns, slot, height, width);
  const out = Float32Array.from(image);
  const normal = normalStream(options.seed);
  for (let c = 0; c < channels; c++) {
    const plane = image.subarray(c * pixels, (c + 1) * pixels);
    const values = solve(system, rightHandSide(system, plane));
    for (let i = 0; i < unknowns.length; i++) {
      out[c * pixels + unknowns[i]] = values[i] + options.noise * normal();
    }
  }
  return out;
}

/**
 * The system in compressed rows: unknown i has weight sum `diagonal[i]`, unknown neighbours
 * `coupled[rowStart[i]..rowStart[i + 1])` with weights `coupledWeight`, and a right-hand side
 * per channel from its kept neighbours.
 */
interface System {
  diagonal: Float64Array;
  rowStart: Int32Array;
  coupled: Int32Array;
  coupledWeight: Float64Array;
  keptStart: Int32Array;
  kept: Int32Array;
  keptWeight: Float64Array;
}

function buildSystem(
  unknowns: Int32Array,
  slot: Int32Array,
  height: number,
  width: number
): System {
  const n = unknowns.length;
  const diagonal = new Float64Array(n);
  const rowStart = new Int32Array(n + 1);
  const keptStart = new Int32Array(n + 1);
  const coupled: number[] = [];
  const coupledWeight: number[] = [];
  const kept: number[] = [];
  const keptWeight: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = Math.floor(unknowns[i] / width);
    const x = unknowns[i] - y * width;
    for (const [dy, dx, weight] of NEIGHBOURS) {
      const qy = y + dy;
      const qx = x + dx;
      if (qy < 0 || qy >= height || qx < 0 || qx >= width) {
        continue;
      }
      const q = qy * width + qx;
      diagonal[i] += weight;
      if (slot[q] >= 0) {
        coupled.push(slot[q]);
        coupledWeight.push(weight);
      } else {
        kept.push(q);
        keptWeight.push(weight);
      }
    }
    rowStart[i + 1] = coupled.length;
    keptStart[i + 1] = kept.length;
  }
  return {
    diagonal,
    rowStart,
    coupled: Int32Array.from(coupled),
    coupledWeight: Float64Array.from(coupledWeight),
    keptStart,
    kept: Int32Array.from(kept),
    keptWeight: Float64Array.from(keptWeight)
  };
}

function rightHandSide(system: System, plane: Float32Array): Float64Array {
  const n = system.diagonal.length;
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = system.keptStart[i]; k < system.keptStart[i + 1]; k++) {
      sum += system.keptWeight[k] * plane[system.kept[k]];
    }
    b[i] = sum;
  }
  return b;
}

/** (D - W) v for the system's matrix. */
function multiply(system: System, v: Float64Array, out: Float64Array): void {
  const { diagonal, rowStart, coupled, coupledWeight } = system;
  for (let i = 0; i < v.length; i++) {
    let sum = diagonal[i] * v[i];
    for (let k = rowStart[i]; k < rowStart[i + 1]; k++) {
      sum -= coupledWeight[k] * v[coupled[k]];
    }
    out[i] = sum;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    sum += a[i] * b[i];
  }
  return sum;
}

/**
 * Conjugate gradients with the diagonal as preconditioner, from the mean of each pixel's kept
 * neighbours (b / diagonal), which is already close away from large removed regions.
 */
function solve(system: System, b: Float64Array): Float64Array {
  const n = b.length;
  const { diagonal } = system;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = b[i] / diagonal[i];
  }
  const r = new Float64Array(n);
  multiply(system, x, r);
  for (let i = 0; i < n; i++) {
    r[i] = b[i] - r[i];
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    z[i] = r[i] / diagonal[i];
  }
  const p = Float64Array.from(z);
  const ap = new Float64Array(n);
  const target = 1e-20 * Math.max(dot(b, b), 1e-300);
  let rz = dot(r, z);
  for (let iteration = 0; iteration < 10 * n + 100; iteration++) {
    if (dot(r, r) <= target) {
      break;
    }
    multiply(system, p, ap);
    const alpha = rz / dot(p, ap);
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * ap[i];
      z[i] = r[i] / diagonal[i];
    }
    const next = dot(r, z);
    const beta = next / rz;
    rz = next;
    for (let i = 0; i < n; i++) {
      p[i] = z[i] + beta * p[i];
    }
  }
  return x;
}
