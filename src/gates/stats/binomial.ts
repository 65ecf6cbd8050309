/** Log-factorials and the binomial and hypergeometric distributions, exact. Pure. */

const LOG_FACTORIAL_CACHE: number[] = [0];

/** ln(n!), exact summation up to 10 000 (cached), Stirling's series beyond. */
export function logFactorial(n: number): number {
  if (n < 0 || !Number.isInteger(n)) throw new RangeError(`logFactorial of ${n}`);
  if (n < 10_000) {
    for (let i = LOG_FACTORIAL_CACHE.length; i <= n; i++) {
      LOG_FACTORIAL_CACHE[i] = (LOG_FACTORIAL_CACHE[i - 1] as number) + Math.log(i);
    }
    return LOG_FACTORIAL_CACHE[n] as number;
  }
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3);
}

/** ln C(n, k). */
export function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/** P(X ≤ k) for X ~ Binomial(n, p), summed exactly in log space. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  let sum = 0;
  const lp = Math.log(p);
  const lq = Math.log(1 - p);
  for (let i = 0; i <= k; i++) sum += Math.exp(logChoose(n, i) + i * lp + (n - i) * lq);
  return Math.min(1, sum);
}

/** Smallest one-sided level the rank search resolves; smaller levels are raised to it. */
export const SMALLEST_LEVEL = 1e-15;

/** Terms of the pmf below this share of its mode are left out: their sum is below 1e-23. */
const PMF_CUTOFF = 1e-25;

/**
 * The binomial pmf of Binomial(n, q) over the indexes where it matters, summed both ways: walked
 * out from the mode with the ratio recurrence, so the cost is about 20 standard deviations of
 * terms (≈ 10⁵ at n = 10⁷), exact to floating point everywhere else.
 */
function binomialTails(n: number, q: number): { from: number; below: Float64Array; above: Float64Array } {
  const mode = Math.min(n, Math.max(0, Math.floor((n + 1) * q)));
  const odds = q / (1 - q);
  const down: number[] = [];
  const up: number[] = [];
  const peak = Math.exp(logChoose(n, mode) + mode * Math.log(q) + (n - mode) * Math.log1p(-q));
  let p = peak;
  for (let k = mode; k > 0; k--) {
    p *= k / (n - k + 1) / odds;
    if (p < peak * PMF_CUTOFF) break;
    down.push(p);
  }
  p = peak;
  for (let k = mode; k < n; k++) {
    p *= ((n - k) / (k + 1)) * odds;
    if (p < peak * PMF_CUTOFF) break;
    up.push(p);
  }
  const from = mode - down.length;
  const length = down.length + 1 + up.length;
  const pmf = new Float64Array(length);
  for (let i = 0; i < down.length; i++) pmf[down.length - 1 - i] = down[i] as number;
  pmf[down.length] = peak;
  for (let i = 0; i < up.length; i++) pmf[down.length + 1 + i] = up[i] as number;
  // below[i] = P(X ≤ from + i); above[i] = P(X ≥ from + i), each summed from its own far end.
  const below = new Float64Array(length);
  const above = new Float64Array(length);
  let s = 0;
  for (let i = 0; i < length; i++) {
    s += pmf[i] as number;
    below[i] = s;
  }
  s = 0;
  for (let i = length - 1; i >= 0; i--) {
    s += pmf[i] as number;
    above[i] = s;
  }
  // Normalise away the rounding in the peak's logarithm (at n = 10⁷ a few parts in 10⁹).
  const total = below[length - 1] as number;
  for (let i = 0; i < length; i++) {
    below[i] = (below[i] as number) / total;
    above[i] = (above[i] as number) / total;
  }
  return { from, below, above };
}

/**
 * Exact one-sided order-statistic ranks (1-based) for the q-quantile of n samples, B ~ Bin(n, q):
 * `lower` is the largest l with P(B ≤ l − 1) ≤ aLower (x₍ₗ₎ ≤ the quantile with probability
 * ≥ 1 − aLower), `upper` the smallest u with P(B ≥ u) ≤ aUpper. Undefined where even the extreme
 * sample does not reach the level.
 */
export function binomialRanks(
  n: number,
  q: number,
  aLower: number,
  aUpper: number,
): { lower: number | undefined; upper: number | undefined } {
  if (!(n >= 1) || !(q > 0 && q < 1)) return { lower: undefined, upper: undefined };
  const lo = Math.max(aLower, SMALLEST_LEVEL);
  const hi = Math.max(aUpper, SMALLEST_LEVEL);
  const { from, below, above } = binomialTails(n, q);
  const last = from + below.length - 1;
  // P(B ≤ k) for any k: 0 left of the window, 1 right of it.
  const cdf = (k: number) => (k < from ? 0 : k > last ? 1 : (below[k - from] as number));
  const sf = (k: number) => (k <= from ? 1 : k > last ? 0 : (above[k - from] as number));
  let lower: number | undefined;
  if (cdf(0) <= lo) {
    // cdf rises with k: the largest l − 1 with cdf ≤ lo lies in the window or at its left edge.
    let k = Math.max(0, from - 1);
    while (k + 1 <= n - 1 && cdf(k + 1) <= lo) k++;
    lower = k + 1;
  }
  let upper: number | undefined;
  if (sf(n) <= hi) {
    let u = Math.min(n, last + 1);
    while (u - 1 >= 1 && sf(u - 1) <= hi) u--;
    upper = u;
  }
  return { lower, upper };
}
