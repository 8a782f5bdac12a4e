/**
 * Eigenvalues and eigenvectors of a small symmetric matrix by cyclic Jacobi rotations: simple,
 * unconditionally stable, accurate for the few hundred rows the clustering samples (O(n^3) per
 * sweep, a handful of sweeps).
 */

/** Eigen-pairs, eigenvalues ascending; `vectors[k]` is the k-th eigenvector (length n). */
export interface EigenPairs {
  values: Float64Array;
  vectors: Float64Array[];
}

/** Decomposes the symmetric n x n matrix `a` (row-major; not modified). */
export function symmetricEigen(a: Float64Array, n: number): EigenPairs {
  const m = Float64Array.from(a);
  // v holds the eigenvectors as columns: v[i * n + k] is component i of vector k.
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    v[i * n + i] = 1;
  }
  let scale = 0;
  for (let i = 0; i < n * n; i++) {
    scale += m[i] * m[i];
  }
  const tolerance = 1e-22 * Math.max(scale, 1e-300);
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        off += m[p * n + q] * m[p * n + q];
      }
    }
    if (off <= tolerance) {
      break;
    }
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) {
          continue;
        }
        // The rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1).
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t =
          Math.sign(theta || 1) /
          (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p];
          const akq = m[k * n + q];
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k];
          const aqk = m[q * n + k];
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, k) => k).sort(
    (x, y) => m[x * n + x] - m[y * n + y] || x - y
  );
  return {
    values: Float64Array.from(order, k => m[k * n + k]),
    vectors: order.map(k =>
      Float64Array.from({ length: n }, (_, i) => v[i * n + k])
    )
  };
}
