/**
 * How the connections of one process write the messages they queue for the end of the turn
 * (live searches' changes: Connection.sendMessage): one `setImmediate` for every connection
 * that has messages waiting, not one per connection, and the bytes of each batch carved from
 * a few reused slabs instead of a new buffer per batch. With a thousand live searches a
 * change is a batch for each of their connections, tens of thousands of bytes each, many
 * times a second: fresh buffers were a sixth of a worker's time in garbage collection.
 *
 * A slab's bytes handed to a socket are not reused until the socket has written them (its
 * write callback): a slab returns to use once every batch carved from it was written. A
 * write whose callback never comes only keeps its slab out of use; it is then collected.
 */

/** Runs deferred work once, for all who asked, at the end of the current turn of the event loop. */
export class EndOfTurn {
  #pending: Array<() => void> = [];
  #scheduled = false;
  readonly #run = (): void => {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = [];
    for (const fn of pending) fn();
  };

  /** Runs `fn` after the I/O callbacks of this turn (in a `setImmediate` shared with the others asked for in it). */
  defer(fn: () => void): void {
    this.#pending.push(fn);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#run);
    }
  }
}

/** A slab and how many of the buffers carved from it are not written yet. */
interface Slab {
  readonly bytes: Buffer;
  used: number;
  unwritten: number;
  /** The write callback of the buffers carved from it (made once per slab). */
  readonly written: () => void;
}

/** A buffer to write, and what to call once the socket has written it. */
export interface SlabBuffer {
  readonly buffer: Buffer;
  readonly written: () => void;
}

const nothing = (): void => undefined;

/** Buffers for socket writes carved from reused slabs (see the module's comment). */
export class WriteSlabs {
  readonly #size: number;
  readonly #keep: number;
  #current: Slab | undefined;
  readonly #free: Slab[] = [];

  /**
   * @param size bytes of a slab; a buffer over a quarter of it gets a buffer of its own.
   * @param keep slabs kept for reuse beyond the one in use, at most.
   */
  constructor(size = 1024 * 1024, keep = 3) {
    this.#size = size;
    this.#keep = keep;
  }

  /** A buffer of exactly `length` bytes to fill and write; call its `written` from the write's callback. */
  take(length: number): SlabBuffer {
    if (length > this.#size / 4) return { buffer: Buffer.allocUnsafe(length), written: nothing };
    let slab = this.#current;
    if (slab === undefined || slab.used + length > this.#size) {
      // The full slab returns to use once what it holds is written (its last write's callback).
      this.#current = undefined;
      if (slab !== undefined && slab.unwritten === 0) this.#release(slab);
      slab = this.#free.pop() ?? this.#slab();
      this.#current = slab;
    }
    const start = slab.used;
    // Eight-byte aligned: each batch starts on a word.
    slab.used = (start + length + 7) & ~7;
    slab.unwritten += 1;
    return { buffer: slab.bytes.subarray(start, start + length), written: slab.written };
  }

  #release(slab: Slab): void {
    slab.used = 0;
    if (slab !== this.#current && this.#free.length < this.#keep) this.#free.push(slab);
  }

  #slab(): Slab {
    const slab: Slab = {
      bytes: Buffer.allocUnsafeSlow(this.#size),
      used: 0,
      unwritten: 0,
      written: () => {
        slab.unwritten -= 1;
        // The slab in use starts over once all it gave out is written; another returns to the free list.
        if (slab.unwritten === 0) this.#release(slab);
      },
    };
    return slab;
  }
}

/** This process's end-of-turn flush and write slabs, shared by all its connections. */
export const endOfTurn = new EndOfTurn();
export const writeSlabs = new WriteSlabs();
