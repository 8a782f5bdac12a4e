/**
 * The seeded noise ROAD adds to imputed pixels. ROAD's imputer (Rong et al. 2022, and
 * pytorch-grad-cam's NoisyLinearImputer) adds N(0, 0.01^2) noise; ours comes from a seeded
 * generator so that a score is reproducible and the Python references
 * (scripts/make_metric_refs.py) can draw the very same numbers: mulberry32 for uniforms, and
 * one normal from two uniforms, z = sqrt(-2 ln(1 - u1)) cos(2 pi u2).
 */

/** A stream of standard normal numbers from a 32-bit seed. */
export function normalStream(seed: number): () => number {
  const uniform = mulberry32(seed);
  return () => {
    const u1 = uniform();
    const u2 = uniform();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  };
}

/** Uniform numbers in [0, 1) from a 32-bit seed (mulberry32, by Tommy Ettinger). */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
