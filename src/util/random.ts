/** Seeded random numbers and the samplers built on them (demo services, judge simulation). Pure. */

/** mulberry32: a small, fast, seedable PRNG; good enough for simulated latency. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A log-normal sampler with the given median and sigma (Box-Muller on `random`). */
export function logNormalSampler(medianMs: number, sigma: number, random: () => number): () => number {
  const mu = Math.log(medianMs);
  return () => {
    const u = 1 - random();
    const v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.exp(mu + sigma * z);
  };
}
