/**
 * What a connection and the process know of live searches: how one ends, the handle the
 * connection holds, and the count of those open against the server's limit. The persist
 * phase itself is in ./live.ts.
 */

/** What ends a live search: the client's cancel (answered `canceled`), abandon or going away (nothing said), or a backlog. */
export type LiveEnd = 'cancel' | 'abandon' | 'closed';

/** A live search as its connection holds it. */
export interface LiveSearch {
  /** Stops following the feed; a cancel answers the search first. */
  end(why: LiveEnd): Promise<void>;
}

/** How many live searches are open against a limit: the server's count, kept by its admission (./admission.ts). */
export class LiveCount {
  readonly max: number;
  #open = 0;

  constructor(max: number) {
    this.max = max;
  }

  get open(): number {
    return this.#open;
  }

  /** Takes a place; false when all are taken. */
  take(): boolean {
    if (this.#open >= this.max) return false;
    this.#open += 1;
    return true;
  }

  release(): void {
    this.#open = Math.max(0, this.#open - 1);
  }
}
