/**
 * How `user list` and the watch commands present a user as JSON.
 */
import type { User } from '../client/index.js';

/** The machine-readable view of a user. */
export function userJson(user: User): Record<string, unknown> {
  return {
    name: user.name,
    dn: user.dn,
    ipPhonePrimary: user.ipPhonePrimary,
    ipAddresses: user.ipAddresses,
    email: user.email,
    givenName: user.givenName,
    surname: user.surname,
    location: user.location,
    comment: user.comment,
  };
}
