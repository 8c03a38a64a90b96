/**
 * Following the directory from the command line (`watch`, `list --watch`): a library watch
 * that runs until Ctrl-C (SIGINT) or SIGTERM, which cancel it and end the command with exit
 * code 0. A lost connection or a refusal fails the command like any other error.
 */
import type { Directory, WatchEvent, WatchOptions } from '../client/index.js';
import { note, type ConnectionFlags } from './connection.js';
import { stopSignal } from './stop-signals.js';

/**
 * Runs a watch, handing each event to `handle` with the time it arrived, until a signal.
 * Says on stderr (unless --quiet) when the initial content is complete and how to stop.
 */
export async function follow(directory: Directory, flags: ConnectionFlags, options: Omit<WatchOptions, 'signal'>, handle: (event: WatchEvent, time: Date) => void): Promise<void> {
  const controller = new AbortController();
  const stop = stopSignal();
  void stop.received.then(() => controller.abort());
  try {
    for await (const event of directory.watch({ ...options, signal: controller.signal })) {
      handle(event, new Date());
      if (event.kind === 'synced') note(flags, 'up to date; following changes (Ctrl-C to stop)');
    }
  } finally {
    stop.release();
  }
}
