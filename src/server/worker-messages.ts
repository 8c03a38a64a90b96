/**
 * What the primary and its worker processes tell each other over the cluster IPC channel.
 * Workers ask the primary whatever must be decided once for the whole server (connection
 * limits, the failed-bind throttle) and to apply their writes.
 */
import type { WriteFailure, WriteRequest } from '../directory/index.js';
import type { BindOutcome } from '../ldap/admission.js';
import type { ServerOptions } from './options.js';

/** A worker's request that the primary answers with a {@link Reply} of the same id. */
export type WorkerRequest =
  | { kind: 'admit'; id: number; address: string }
  /** Answered with why one more live search may not open (the server's total), or nothing. */
  | { kind: 'admitLive'; id: number }
  /** Answered with a {@link WriteOutcome}. */
  | { kind: 'write'; id: number; request: WriteRequest }
  /** Answered (with nothing) when the password may be checked. */
  | { kind: 'bindTurn'; id: number; address: string; account: string };

/** What a worker sends. */
export type WorkerMessage =
  | WorkerRequest
  /** The worker is ready for its options (sent first: a message sent earlier could be lost). */
  | { kind: 'hello' }
  | { kind: 'release'; address: string }
  | { kind: 'releaseLive' }
  /** How the check of the `bindTurn` of that id ended, or that it is withdrawn. */
  | { kind: 'bindEnd'; id: number; outcome: BindOutcome }
  | { kind: 'listening'; port: number; tlsPort: number | undefined }
  | { kind: 'failed'; message: string; code: string | undefined };

/** The primary's answer to a write. */
export type WriteOutcome = { ok: true; value: number | undefined } | { ok: false; failure: WriteFailure };

/** The primary's answer to a request. */
export interface Reply {
  kind: 'reply';
  id: number;
  value: unknown;
}

/** What the primary sends. Messages use advanced serialization: Buffers and bigints pass as they are. */
export type PrimaryMessage =
  | Reply
  | { kind: 'start'; options: ServerOptions }
  | { kind: 'stop' }
  /** The change log grew: the worker's change feed reads it (a wake-up only; the log is the truth). */
  | { kind: 'changes' }
  /**
   * Messages of one turn, in order, sent as one: the answers to a group commit's writes and
   * the news of its changes cost the worker one wake-up, and the primary one write, not one
   * each (a pipe write that wakes the other process costs tens of microseconds here).
   */
  | { kind: 'several'; messages: PrimaryMessage[] };

