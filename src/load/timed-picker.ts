/**
 * The target picker a load issues by, with switches asked for ahead of their moment: each takes
 * over from the first request meant to go out at or after its time. The open model asks by a
 * request's intended time, so a switch lands between the same two requests however late the
 * event loop runs; a switch whose time has passed takes the next request.
 */
import type { WeightedPicker } from './weighted-picker.js';

/** Switches waiting for their time; past this, the oldest takes over at once (a bound, never reached by a rollout). */
const MAX_WAITING = 64;

/** A weighted picker that can be replaced from a given time on. */
export class TimedPicker<T> {
  #current: WeightedPicker<T>;
  #waiting: { picker: WeightedPicker<T>; fromMs: number }[] = [];

  constructor(picker: WeightedPicker<T>) {
    this.#current = picker;
  }

  /** Replace the picker now, or, with `fromMs` (performance.now() time), from that time on. */
  set(picker: WeightedPicker<T>, fromMs?: number): void {
    if (fromMs === undefined) {
      // The latest instruction wins: switches still waiting would undo it.
      this.#waiting = [];
      this.#current = picker;
      return;
    }
    if (this.#waiting.length >= MAX_WAITING)
      this.#current = (this.#waiting.shift() as { picker: WeightedPicker<T> }).picker;
    this.#waiting.push({ picker, fromMs });
  }

  /** The picker for a request meant to go out at `atMs` (performance.now() time). */
  at(atMs: number): WeightedPicker<T> {
    while (this.#waiting.length > 0 && atMs >= (this.#waiting[0] as { fromMs: number }).fromMs) {
      this.#current = (this.#waiting.shift() as { picker: WeightedPicker<T> }).picker;
    }
    return this.#current;
  }
}
