/**
 * k-means with a deterministic start (farthest-point seeding from the first point), so that the
 * same maps always give the same clusters.
 */

/** The cluster of each point (0..k-1). */
export function kmeans(
  points: Float64Array[],
  k: number,
  iterations = 100
): number[] {
  const n = points.length;
  if (k <= 1 || n <= k) {
    return points.map((_, i) => (k <= 1 ? 0 : i));
  }
  const centres: Float64Array[] = [Float64Array.from(points[0])];
  const nearest = points.map(p => squaredDistance(p, centres[0]));
  while (centres.length < k) {
    let far = 0;
    for (let i = 1; i < n; i++) {
      if (nearest[i] > nearest[far]) {
        far = i;
      }
    }
    centres.push(Float64Array.from(points[far]));
    points.forEach((p, i) => {
      nearest[i] = Math.min(
        nearest[i],
        squaredDistance(p, centres[centres.length - 1])
      );
    });
  }
  let assignment = new Array<number>(n).fill(-1);
  for (let iteration = 0; iteration < iterations; iteration++) {
    const next = points.map(p => closest(p, centres));
    const moved = next.some((c, i) => c !== assignment[i]);
    assignment = next;
    if (!moved) {
      break;
    }
    centres.forEach((centre, c) => {
      const members = points.filter((_, i) => assignment[i] === c);
      if (members.length === 0) {
        return; // an empty cluster keeps its centre
      }
      centre.fill(0);
      for (const p of members) {
        p.forEach((x, d) => (centre[d] += x / members.length));
      }
    });
  }
  return assignment;
}

/** The index of the centre nearest to p (the first of ties). */
export function closest(p: Float64Array, centres: Float64Array[]): number {
  let best = 0;
  let bestDistance = Infinity;
  centres.forEach((centre, c) => {
    const d = squaredDistance(p, centre);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  });
  return best;
}

export function squaredDistance(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    sum += (a[i] - b[i]) ** 2;
  }
  return sum;
}
