/**
 * Eigen-CAM. Muhammad & Yeasin, "Eigen-CAM: Class Activation Map using Principal Components",
 * IJCNN 2020, Eq. 4-5: the activation as a matrix M (rows: positions, columns: channels), each
 * column centred (as pytorch-grad-cam does), projected on its first right singular vector:
 * `cam = M v1`. It uses no gradient and no class. The sign of a singular vector is arbitrary (the
 * reference library keeps whatever its SVD returns; the fixture tests accept both): the engine
 * picks the sign for which the map rises where the layer's total activation does, so that two
 * exports of one model, or a re-run, never show a flipped map.
 */
import { CamNeeds, ForwardCam, LayerData } from './base';
import { MethodName } from '../methods';

export class EigenCam extends ForwardCam {
  readonly name: MethodName = 'eigencam';
  readonly needs: CamNeeds = 'activations';

  /** One map: Eigen-CAM has no class. */
  cams(layer: LayerData): Float64Array[] {
    return [principalProjection(layer)];
  }
}

/** The centred activation's projection on its first principal direction, one value per position. */
export function principalProjection(layer: LayerData): Float64Array {
  const positions = layer.height * layer.width;
  const channels = layer.channels;
  // m[p * K + k]: position-major, each channel centred over positions.
  const m = new Float64Array(positions * channels);
  for (let k = 0; k < channels; k++) {
    let mean = 0;
    for (let p = 0; p < positions; p++) {
      const v = layer.activation[k * positions + p];
      mean += Number.isNaN(v) ? 0 : v;
    }
    mean /= positions;
    for (let p = 0; p < positions; p++) {
      const v = layer.activation[k * positions + p];
      m[p * channels + k] = (Number.isNaN(v) ? 0 : v) - mean;
    }
  }
  // The top right singular vector v1 of M, from the smaller of M^T M (K x K) and M M^T (P x P).
  let v1: Float64Array;
  if (channels <= positions) {
    v1 = topEigenvector(gram(m, positions, channels, true), channels);
  } else {
    const u1 = topEigenvector(gram(m, positions, channels, false), positions);
    v1 = new Float64Array(channels);
    for (let p = 0; p < positions; p++) {
      for (let k = 0; k < channels; k++) {
        v1[k] += m[p * channels + k] * u1[p];
      }
    }
    normalise(v1);
  }
  // The projection's correlation with the total activation per position, sum_p cam_p sum_k A_kp,
  // is sigma1^2 sum_k v1_k (the columns are centred, so the channel means drop out): the sign
  // of v1's sum. A mass rule (positive against negative values) cannot decide it: a centred
  // projection sums to 0, so its two masses are equal and rounding chose the sign.
  let sum = 0;
  for (const v of v1) {
    sum += v;
  }
  const sign = sum < 0 ? -1 : 1;
  const projection = new Float64Array(positions);
  for (let p = 0; p < positions; p++) {
    let s = 0;
    for (let k = 0; k < channels; k++) {
      s += m[p * channels + k] * v1[k];
    }
    projection[p] = sign * s;
  }
  return projection;
}

/** M^T M (over positions) when `overPositions`, else M M^T; M is positions x channels. */
function gram(
  m: Float64Array,
  positions: number,
  channels: number,
  overPositions: boolean
): Float64Array {
  if (overPositions) {
    const c = new Float64Array(channels * channels);
    for (let p = 0; p < positions; p++) {
      const row = p * channels;
      for (let i = 0; i < channels; i++) {
        const a = m[row + i];
        if (a === 0) {
          continue;
        }
        for (let j = i; j < channels; j++) {
          c[i * channels + j] += a * m[row + j];
        }
      }
    }
    return symmetrise(c, channels);
  }
  const g = new Float64Array(positions * positions);
  for (let p = 0; p < positions; p++) {
    for (let q = p; q < positions; q++) {
      let s = 0;
      for (let k = 0; k < channels; k++) {
        s += m[p * channels + k] * m[q * channels + k];
      }
      g[p * positions + q] = s;
    }
  }
  return symmetrise(g, positions);
}

function symmetrise(a: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      a[i * n + j] = a[j * n + i];
    }
  }
  return a;
}

/**
 * The eigenvector of the largest eigenvalue of a symmetric positive semi-definite matrix, by
 * power iteration on the matrix squared repeatedly until the direction settles (squaring widens
 * the gap between the top eigenvalue and the rest, so a few products converge).
 */
export function topEigenvector(a: Float64Array, n: number): Float64Array {
  // Start from the row of largest norm: never orthogonal to the top eigenvector when it matters.
  let best = 0;
  let bestNorm = -1;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) {
      s += a[i * n + j] * a[i * n + j];
    }
    if (s > bestNorm) {
      bestNorm = s;
      best = i;
    }
  }
  let v: Float64Array = a.slice(best * n, best * n + n);
  if (bestNorm === 0) {
    v = new Float64Array(n);
    v[0] = 1;
    return v;
  }
  normalise(v);
  let power = a;
  let squarings = 0;
  // Squaring costs n^3: affordable for the smaller side of the usual layers (<= 256).
  const maxSquarings = n <= 256 ? 10 : 0;
  for (let round = 0; round < 4000; round++) {
    const next = multiply(power, v, n);
    normalise(next);
    let change = 0;
    for (let i = 0; i < n; i++) {
      change = Math.max(change, Math.abs(next[i] - v[i]));
    }
    v = next;
    if (change < 1e-13) {
      break;
    }
    if (round % 4 === 3 && squarings < maxSquarings) {
      power = square(power, n);
      squarings++;
    }
  }
  return v;
}

function multiply(a: Float64Array, v: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) {
      s += a[i * n + j] * v[j];
    }
    out[i] = s;
  }
  return out;
}

/** A^2 scaled to unit max entry (the scale does not change the eigenvectors). */
function square(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) {
        continue;
      }
      for (let j = 0; j < n; j++) {
        out[i * n + j] += aik * a[k * n + j];
      }
    }
  }
  let max = 0;
  for (const x of out) {
    max = Math.max(max, Math.abs(x));
  }
  if (max > 0) {
    for (let i = 0; i < out.length; i++) {
      out[i] /= max;
    }
  }
  return out;
}

function normalise(v: Float64Array): void {
  let s = 0;
  for (const x of v) {
    s += x * x;
  }
  const norm = Math.sqrt(s);
  if (norm > 0) {
    for (let i = 0; i < v.length; i++) {
      v[i] /= norm;
    }
  }
}
