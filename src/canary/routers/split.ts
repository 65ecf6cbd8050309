/**
 * The split router: no infrastructure. canary-gate's own load engine sends w % of its requests to
 * the canary; this router only remembers the weight for the driver's load plan.
 */
import { type Router, SAFE_WEIGHT, type WeightChange } from './router.js';

/** Split router. */
export class SplitRouter implements Router {
  readonly type = 'split';
  /** The current canary weight, percent. */
  weight = 0;

  async setWeight(change: WeightChange): Promise<void> {
    this.weight = change.weight;
  }

  async reset(): Promise<void> {
    this.weight = SAFE_WEIGHT;
  }

  describe(): string {
    return 'split: canary-gate sends w % of its own requests to the canary';
  }

  async close(): Promise<void> {}
}
