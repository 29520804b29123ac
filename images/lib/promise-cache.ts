// One computation per key: callers asking for a key while it is being computed, or after it was,
// share its promise. A rejected computation is forgotten so that the next caller tries again;
// `inFlightOnly` forgets a settled one too (the result lives elsewhere, e.g. in a file cache).

export interface PromiseCacheOptions {
  /** Keep a key only while its computation runs (default: keep every fulfilled one). */
  inFlightOnly?: boolean;
}

export class PromiseCache<T> {
  readonly #entries = new Map<string, Promise<T>>();

  constructor(private readonly options: PromiseCacheOptions = {}) {}

  get(key: string, compute: () => Promise<T>): Promise<T> {
    const known = this.#entries.get(key);
    if (known) return known;
    const entry = compute();
    this.#entries.set(key, entry);
    const forget = () => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    };
    entry.then(this.options.inFlightOnly ? forget : undefined, forget);
    return entry;
  }
}
