/**
 * Multicast address allocation: scopes, the SQLite-backed allocator, the MADCAP (RFC 2730)
 * codec, server and client, and leasing an address for a conference.
 *
 * @packageDocumentation
 */
export { type Family, FAMILY_NUMBER, parseAddress, formatAddress, canonicalAddress } from './address.js';
export {
  type MulticastScope,
  ScopeError,
  DEFAULT_SCOPES,
  defineScope,
  parseScopeSpec,
  checkScopes,
  matchScope,
  poolSize,
  LOCAL_SCOPE_SERVER_ADDRESS,
  scopeServerAddress,
  serverMulticastAddresses,
} from './scopes.js';
export { type LeaseLimits, DEFAULT_LEASE_LIMITS } from './policy.js';
export { Allocator, leaseAddresses, type Lease, type AllocationRequest, type AllocationResult, type AllocationFailure, type AllocatorOptions } from './allocator.js';
export {
  decodeMessage,
  encodeMessage,
  MESSAGE_TYPE,
  OPTION,
  ERROR_CODE,
  FEATURE,
  NO_OPTION,
  offendingOptionData,
  clockSkewData,
  type MessageType,
  type MadcapMessage,
  type MadcapOptions,
  type DecodeResult,
  type AddressRange,
  type ScopeListEntry,
  type ZoneName,
  type FeatureList,
} from './codec.js';
export { MadcapServer, MADCAP_PORT, type MadcapServerOptions } from './server.js';
export { DEFAULT_MAX_CLOCK_SKEW } from './responder.js';
export {
  McastAddressAllocation,
  McastError,
  RFC2730_RETRANSMISSION,
  newLeaseIdentifier,
  type McastScope,
  type McastLeaseInfo,
  type McastClientOptions,
  type Retransmission,
} from './client.js';
export { LEASE_TAG_ATTRIBUTE, leaseTag } from './lease-tag.js';
export { allocateForConference, type ConferenceAllocationRequest, type ConferenceAllocation } from './conference.js';
