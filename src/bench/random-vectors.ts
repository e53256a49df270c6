// Seeded random unit vectors for the gallery benchmarks (exact index and ANN): the same seed
// gives the same gallery in every run, so runs and phases compare like with like.

/** A linear congruential generator of uniform numbers in [-0.5, 0.5). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** Fills `out` with a random direction (L2-normalised) and returns it. */
export function unitInto(out: Float32Array, rnd: () => number): Float32Array {
  let n = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = rnd();
    n += out[i] * out[i];
  }
  n = Math.sqrt(n);
  for (let i = 0; i < out.length; i++) out[i] /= n;
  return out;
}
