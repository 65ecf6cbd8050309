/**
 * Smooth weighted round-robin (the algorithm nginx uses for weighted upstreams): deterministic,
 * exact proportions over every window of sum(weights) picks, and no random numbers on the hot path.
 */
export class WeightedPicker<T> {
  readonly #items: readonly T[];
  readonly #weights: Float64Array;
  readonly #current: Float64Array;
  readonly #total: number;
  readonly #single: T | undefined;

  /** Items with non-negative weights; at least one weight must be positive. */
  constructor(items: readonly { item: T; weight: number }[]) {
    const live = items.filter((entry) => entry.weight > 0);
    if (live.length === 0) throw new RangeError('WeightedPicker needs at least one positive weight');
    this.#items = live.map((entry) => entry.item);
    this.#weights = Float64Array.from(live.map((entry) => entry.weight));
    this.#current = new Float64Array(live.length);
    this.#total = this.#weights.reduce((sum, w) => sum + w, 0);
    this.#single = live.length === 1 ? live[0]?.item : undefined;
  }

  /** The next item. */
  next(): T {
    if (this.#single !== undefined) return this.#single;
    const current = this.#current;
    let best = 0;
    for (let i = 0; i < current.length; i++) {
      current[i] = (current[i] as number) + (this.#weights[i] as number);
      if ((current[i] as number) > (current[best] as number)) best = i;
    }
    current[best] = (current[best] as number) - this.#total;
    return this.#items[best] as T;
  }
}
