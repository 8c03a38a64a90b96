/**
 * Rendezvous public API: the conference blob controls (SDP) and the directory client.
 *
 * @packageDocumentation
 */
export * from './sdp/index.js';
export * from './client/index.js';
export * from './mcast/index.js';
