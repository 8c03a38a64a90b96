/**
 * The client library: TAPI 3's directory controls (ITDirectory, ITDirectoryObjectConference,
 * ITDirectoryObjectUser) with modern idioms, over any LDAP server that has the ILS schema.
 *
 * @packageDocumentation
 */
export {
  Directory,
  DEFAULT_OBJECT_TTL,
  MIN_OBJECT_TTL,
  type AutoRefreshEvent,
  type ConnectOptions,
  type DirectoryObjects,
  type DirectoryOptions,
  type EnumerateOptions,
} from './directory.js';
export type { WatchOptions } from './watch.js';
export type { ObjectChange, WatchEvent } from './sync-consumer.js';
export { MessageTooLargeError } from './message-framer.js';
export { DirectoryObject, type DialableAddressType, type DirectoryObjectType } from './object.js';
export { Conference, IP_CONFERENCE, type ConferenceOptions } from './conference.js';
export { User, type UserOptions } from './user.js';
export {
  DirectoryError,
  ConnectError,
  NotConnectedError,
  AlreadyConnectedError,
  InvalidTimeError,
  ResultCode,
  resultName,
} from './errors.js';
export type { RefreshPath } from './refresh.js';
export { toIlsAddress, fromIlsAddress } from './ils-address.js';
export { candidateUrls, ILS_PORTS } from './server-url.js';
