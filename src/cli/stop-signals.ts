/**
 * Stopping a long-running command (a keep-alive, a watch) with Ctrl-C (SIGINT) or SIGTERM:
 * the first signal is a request to finish cleanly, not an abrupt exit.
 */

/** The first of SIGINT and SIGTERM to arrive, and how to stop waiting for one. */
export interface StopSignal {
  /** Resolves with the name of the signal. */
  readonly received: Promise<NodeJS.Signals>;
  /** Stops listening (and stops holding the process open). */
  release(): void;
}

/** Listens for SIGINT and SIGTERM; until one arrives or `release()`, the process stays alive. */
export function stopSignal(): StopSignal {
  let release = (): void => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => {
    // The library's timers are unref'd and a dropped connection would let the process end:
    // this timer keeps it running until a signal comes.
    const hold = setInterval(() => undefined, 1 << 30);
    const stop = (signal: NodeJS.Signals): void => {
      release();
      resolve(signal);
    };
    release = () => {
      clearInterval(hold);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return { received, release };
}
