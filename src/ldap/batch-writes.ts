/**
 * How the connections of one process write the messages they queue for the end of the turn
 * (live searches' changes: Connection.sendMessage): one `setImmediate` for every connection
 * that has messages waiting, not one per connection, and the bytes of each batch carved from
 * a few reused slabs instead of a new buffer per batch. With a thousand live searches a
 * change is a batch for each of their connections, tens of thousands of bytes each, many
 * times a second: fresh buffers were a sixth of a worker's time in garbage collection.
 *
 * A slab's bytes handed to a socket are not reused until the socket has written them (its
 * write callback): a slab returns to use once every batch carved from it was written. Node
 * calls a write's callback when its socket is destroyed too (with the error), so a slab held
 * by a client that went away returns to use as well.
 *
 * The slabs are a pool of a fixed most (32 MiB a process), made as needed and all kept: one
 * batch a slow reader's socket has not written holds its whole slab, and with a thousand
 * readers falling behind at different moments each held a slab of its own (a megabyte for
 * kilobytes unwritten). With every slab held, a batch gets a buffer of its own, as large as
 * it is and collected once written. Kept, not dropped beyond a few: a commit's fan-out to a
 * thousand live searches carves ten or twenty slabs at once, and dropping all but three after
 * each made a worker allocate and collect tens of megabytes a second.
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

/** A buffer with memory of its own, collected once written. */
const own = (length: number): SlabBuffer => ({ buffer: Buffer.allocUnsafe(length), written: nothing });

/** Buffers for socket writes carved from a bounded pool of reused slabs (see the module's comment). */
export class WriteSlabs {
  readonly #size: number;
  readonly #most: number;
  #current: Slab | undefined;
  readonly #free: Slab[] = [];
  #made = 0;

  /**
   * @param size bytes of a slab; a buffer over a quarter of it gets a buffer of its own.
   * @param most slabs made at most; once every one is in use, buffers get memory of their own.
   */
  constructor(size = 1024 * 1024, most = 32) {
    this.#size = size;
    this.#most = most;
  }

  /** Bytes of the slabs made (all kept): at most `size` × `most`. */
  get slabBytes(): number {
    return this.#made * this.#size;
  }

  /** A buffer of exactly `length` bytes to fill and write; call its `written` from the write's callback. */
  take(length: number): SlabBuffer {
    if (length > this.#size / 4) return own(length);
    let slab = this.#current;
    if (slab === undefined || slab.used + length > this.#size) {
      // The full slab returns to use once what it holds is written (its last write's callback).
      this.#current = undefined;
      if (slab !== undefined && slab.unwritten === 0) this.#release(slab);
      slab = this.#free.pop() ?? (this.#made < this.#most ? this.#slab() : undefined);
      // Every slab holds bytes a socket has not written: this batch is not to hold one more.
      if (slab === undefined) return own(length);
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
    if (slab !== this.#current) this.#free.push(slab);
  }

  #slab(): Slab {
    this.#made += 1;
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
