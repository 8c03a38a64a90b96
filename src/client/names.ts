/**
 * Directory names and search filters built from what applications and people type:
 * every character that means something to LDAP is escaped, so a name is always a name.
 */
import { Filter } from 'ldapts';

/**
 * Escapes an attribute value for a DN string (RFC 4514 §2.4): the special characters,
 * a leading space or `#`, a trailing space, and NUL.
 */
export function escapeRdnValue(value: string): string {
  let escaped = value.replace(/[\\"+,;<>=\0]/g, (c) => (c === '\0' ? '\\00' : `\\${c}`));
  if (/^[ #]/.test(escaped)) escaped = `\\${escaped}`;
  if (escaped.endsWith(' ') && !escaped.endsWith('\\ ')) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}

/** `attr=value,parent` with the value escaped. */
export function childDn(attribute: string, value: string, parent: string): string {
  return `${attribute}=${escapeRdnValue(value)},${parent}`;
}

/**
 * A filter item matching a name pattern in which `*` is the only wildcard (TAPI's
 * EnumerateDirectoryObjects): `week*` → `(uid=week*)`; `*` → `(uid=*)`; everything else,
 * parentheses and backslashes included, is matched literally.
 */
export function namePatternFilter(attribute: string, pattern: string): string {
  if (pattern === '') throw new TypeError('the name pattern is empty; use * for every name');
  // Runs of * are one wildcard; an empty substring between two would be a filter syntax error.
  const parts = pattern.replace(/\*{2,}/g, '*').split('*');
  return `(${attribute}=${parts.map((part) => Filter.escape(part)).join('*')})`;
}
