/**
 * The open model's backlog of one target: requests whose intended time has come while every
 * connection was busy, oldest first. A ring of two typed arrays (intended time, endpoint), so a
 * waiting request costs 12 bytes and no object; it grows by doubling up to a hard capacity, and
 * memory follows the longest backlog actually seen, never the declared rate.
 */
export class Backlog {
  readonly #capacity: number;
  #intended: Float64Array;
  #endpoint: Int32Array;
  #head = 0;
  #length = 0;

  /** `capacity`: the most requests it ever holds (push refuses past it). */
  constructor(capacity: number, initial = 1024) {
    this.#capacity = capacity;
    const size = Math.min(capacity, initial);
    this.#intended = new Float64Array(size);
    this.#endpoint = new Int32Array(size);
  }

  /** Requests waiting. */
  get length(): number {
    return this.#length;
  }

  /** Intended time of the oldest request; NaN when empty. */
  get headIntendedMs(): number {
    return this.#length === 0 ? Number.NaN : (this.#intended[this.#head] as number);
  }

  /** Endpoint of the oldest request; -1 when empty. */
  get headEndpoint(): number {
    return this.#length === 0 ? -1 : (this.#endpoint[this.#head] as number);
  }

  /** Append a request; false when the backlog is at its capacity (the caller drops it). */
  push(intendedMs: number, endpoint: number): boolean {
    if (this.#length === this.#intended.length) {
      if (this.#length >= this.#capacity) return false;
      this.#grow();
    }
    const at = (this.#head + this.#length) % this.#intended.length;
    this.#intended[at] = intendedMs;
    this.#endpoint[at] = endpoint;
    this.#length++;
    return true;
  }

  /** Remove the oldest request (read it first with headIntendedMs/headEndpoint). */
  shift(): void {
    if (this.#length === 0) return;
    this.#head = (this.#head + 1) % this.#intended.length;
    this.#length--;
  }

  /** Drop everything. */
  clear(): void {
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const size = Math.min(this.#capacity, this.#intended.length * 2);
    const intended = new Float64Array(size);
    const endpoint = new Int32Array(size);
    for (let i = 0; i < this.#length; i++) {
      const from = (this.#head + i) % this.#intended.length;
      intended[i] = this.#intended[from] as number;
      endpoint[i] = this.#endpoint[from] as number;
    }
    this.#intended = intended;
    this.#endpoint = endpoint;
    this.#head = 0;
  }
}
