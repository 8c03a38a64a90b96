/**
 * Rendezvous public API.
 *
 * @packageDocumentation
 */
export * from './sdp/index.js';
