/**
 * Schema-aware value handling: syntax checks, and the normal forms that equality, ordering
 * and substring matching compare (RFC 4517 matching rules, RFC 4518 string preparation
 * simplified to case folding and space collapsing).
 */
import { parseGeneralizedTime } from '../../sdp/time.js';
import { parseDn } from './dn.js';

/** What matching needs to know about an attribute type. */
export interface MatchingRules {
  equality?: string | undefined;
  ordering?: string | undefined;
  substr?: string | undefined;
  syntax?: string | undefined;
}

/** Syntax OIDs (RFC 4517 §3.3, RFC 4530). */
export const Syntax = {
  bitString: '1.3.6.1.4.1.1466.115.121.1.6',
  boolean: '1.3.6.1.4.1.1466.115.121.1.7',
  countryString: '1.3.6.1.4.1.1466.115.121.1.11',
  directoryString: '1.3.6.1.4.1.1466.115.121.1.15',
  dn: '1.3.6.1.4.1.1466.115.121.1.12',
  generalizedTime: '1.3.6.1.4.1.1466.115.121.1.24',
  ia5String: '1.3.6.1.4.1.1466.115.121.1.26',
  integer: '1.3.6.1.4.1.1466.115.121.1.27',
  numericString: '1.3.6.1.4.1.1466.115.121.1.36',
  oid: '1.3.6.1.4.1.1466.115.121.1.38',
  octetString: '1.3.6.1.4.1.1466.115.121.1.40',
  printableString: '1.3.6.1.4.1.1466.115.121.1.44',
  telephoneNumber: '1.3.6.1.4.1.1466.115.121.1.50',
  binary: '1.3.6.1.4.1.1466.115.121.1.5',
  uuid: '1.3.6.1.1.16.1',
  deliveryMethod: '1.3.6.1.4.1.1466.115.121.1.14',
  enhancedGuide: '1.3.6.1.4.1.1466.115.121.1.21',
  facsimileTelephoneNumber: '1.3.6.1.4.1.1466.115.121.1.22',
  guide: '1.3.6.1.4.1.1466.115.121.1.25',
  nameAndOptionalUid: '1.3.6.1.4.1.1466.115.121.1.34',
  postalAddress: '1.3.6.1.4.1.1466.115.121.1.41',
  teletexTerminalIdentifier: '1.3.6.1.4.1.1466.115.121.1.51',
  telexNumber: '1.3.6.1.4.1.1466.115.121.1.52',
} as const;

const BINARY_SYNTAXES = new Set<string>([Syntax.octetString, Syntax.binary, '1.3.6.1.4.1.1466.115.121.1.28', '1.3.6.1.4.1.1466.115.121.1.8']);

/** Values of these syntaxes are bytes, carried as latin1 strings (one character per byte). */
export function isBinarySyntax(syntax: string | undefined): boolean {
  return syntax !== undefined && BINARY_SYNTAXES.has(syntax);
}

/** The characters of a PrintableString (RFC 4517 §3.2), as a regular expression's character class. */
const PRINTABLE = "[A-Za-z0-9 '()+,\\-./:?=]";

/** A PrintableString: the characters Printable String, Telephone Number and Country String allow. */
const PRINTABLE_STRING = new RegExp(`^${PRINTABLE}+$`);

/** PrintableStrings separated by `$`, none empty: how slapd checks Telex Number and Facsimile Telephone Number values. */
const PRINTABLE_STRINGS = new RegExp(`^${PRINTABLE}+(?:\\$${PRINTABLE}+)*$`);

/** The keywords of a Delivery Method (RFC 4517 §3.3.5). */
const DELIVERY_METHODS = '(?:any|mhs|physical|telex|teletex|g3fax|g4fax|ia5|videotex|telephone)';

/** A Delivery Method: keywords separated by `$`, spaces around it, any case (as slapd reads them). */
const DELIVERY_METHOD = new RegExp(`^${DELIVERY_METHODS}(?: *\\$ *${DELIVERY_METHODS})*$`, 'i');

/** A Bit String (RFC 4517 §3.3.2). */
const BIT_STRING = /^'[01]*'B$/;

/** Syntaxes slapd stores no value of (it has no validator for them): a value would stop a replica. */
const UNSTORABLE_SYNTAXES = new Set<string>([Syntax.guide, Syntax.enhancedGuide, Syntax.teletexTerminalIdentifier]);

/**
 * Why a value is not valid for a syntax, or undefined when it is.
 * Binary syntaxes accept anything.
 */
export function syntaxProblem(syntax: string | undefined, value: string): string | undefined {
  switch (syntax) {
    case Syntax.directoryString:
      return value.length === 0 ? 'a directory string must not be empty' : undefined;
    case Syntax.ia5String:
      return /^[\x00-\x7f]*$/.test(value) ? undefined : 'only ASCII (IA5) characters are allowed';
    case Syntax.integer:
      // No "-0" (RFC 4517 §3.3.16), which slapd refuses too.
      return /^(?:0|-?[1-9][0-9]*)$/.test(value) ? undefined : `'${value}' is not an integer`;
    case Syntax.boolean:
      return value === 'TRUE' || value === 'FALSE' ? undefined : `'${value}' is not TRUE or FALSE`;
    case Syntax.generalizedTime:
      return parseGeneralizedTime(value) ? undefined : `'${value}' is not a generalizedTime (YYYYMMDDHHMMSSZ)`;
    case Syntax.numericString:
      return /^[0-9 ]+$/.test(value) ? undefined : `'${value}' is not a numeric string`;
    case Syntax.printableString:
      return PRINTABLE_STRING.test(value) ? undefined : `'${value}' has characters a printable string does not allow`;
    case Syntax.telephoneNumber:
      // A PrintableString (RFC 4517 §3.3.31), as slapd checks it: no "#" or "*".
      if (value.trim() === '') return 'a telephone number must not be empty';
      return PRINTABLE_STRING.test(value) ? undefined : `'${value}' has characters a telephone number (a printable string) does not allow`;
    case Syntax.bitString:
      return BIT_STRING.test(value) ? undefined : `'${value}' is not a bit string ('0101'B)`;
    case Syntax.oid:
      return /^(?:[A-Za-z][A-Za-z0-9-]*|[0-2](?:\.(?:0|[1-9][0-9]*))+)$/.test(value) ? undefined : `'${value}' is not an OID or descriptor`;
    case Syntax.uuid:
      return /^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/.test(value) ? undefined : `'${value}' is not a UUID`;
    case Syntax.dn:
      // As slapd checks it (a value that is no DN would stop a stock replica at its entry).
      return dnProblem(value);
    case Syntax.nameAndOptionalUid:
      return nameAndOptionalUidProblem(value);
    case Syntax.deliveryMethod:
      return DELIVERY_METHOD.test(value) ? undefined : `'${value}' is not a delivery method (any, mhs, physical, telex, teletex, g3fax, g4fax, ia5, videotex or telephone, several separated by $)`;
    case Syntax.telexNumber:
    case Syntax.facsimileTelephoneNumber:
      return PRINTABLE_STRINGS.test(value) ? undefined : `'${value}' is not printable strings separated by $ (none empty; no # or *)`;
    case Syntax.postalAddress:
      // Lines separated by $; a backslash only escapes $ (\24) or itself (\5C).
      return /\\(?!24|5[cC])/.test(value) ? `'${value}': in a postal address a backslash may only start \\24 ($) or \\5C (\\)` : undefined;
    default:
      if (syntax !== undefined && UNSTORABLE_SYNTAXES.has(syntax)) return 'no value of this syntax is accepted (OpenLDAP, which replicas run, stores none)';
      // Country String among others: see RELAXED_SYNTAXES.
      return undefined;
  }
}

/**
 * Why a value is not a Name And Optional UID (RFC 4517 §3.3.21: a DN, then optionally `#`
 * and a bit string), or undefined when it is one. As slapd reads it, the whole value may be
 * the DN (`#` may appear inside an attribute value).
 */
function nameAndOptionalUidProblem(value: string): string | undefined {
  const problem = dnProblem(value);
  if (problem === undefined) return undefined;
  const hash = value.lastIndexOf('#');
  if (hash >= 0 && BIT_STRING.test(value.slice(hash + 1)) && dnProblem(value.slice(0, hash)) === undefined) return undefined;
  return problem;
}

/** Why a value is not a DN (RFC 4514), or undefined when it is one. */
function dnProblem(value: string): string | undefined {
  try {
    parseDn(value);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Syntaxes whose values the directory accepts more loosely than RFC 4517 defines them, because
 * ILS clients write values outside the definition, with the RFC's own check (the one OpenLDAP
 * slapd makes of every value it is given, replicated ones included).
 */
const RELAXED_SYNTAXES: ReadonlyMap<string, (value: string) => string | undefined> = new Map([
  // NetMeeting writes `c: -` for "no country" (RFC 4517 §3.3.4: two PrintableString
  // characters, an ISO 3166 code); slapd refuses it ("c: value #0 invalid per syntax").
  [Syntax.countryString, (value: string) => (value.length === 2 && PRINTABLE_STRING.test(value) ? undefined : `'${value}' is not a country code (two printable characters, ISO 3166)`)],
]);

/** Whether the directory accepts values of `syntax` that RFC 4517 does not ({@link strictSyntaxProblem} differs from {@link syntaxProblem}). */
export function isRelaxedSyntax(syntax: string | undefined): boolean {
  return syntax !== undefined && RELAXED_SYNTAXES.has(syntax);
}

/**
 * Why a server that checks every value against its syntax as RFC 4517 defines it would refuse
 * a value, or undefined when it takes it: {@link syntaxProblem}, except for the syntaxes the
 * directory relaxes for ILS clients ({@link isRelaxedSyntax}), which get the RFC's check.
 * This is what a replica can store: a stock OpenLDAP slapd refuses a whole replicated entry
 * for one such value, and its replication stalls there.
 */
export function strictSyntaxProblem(syntax: string | undefined, value: string): string | undefined {
  const strict = syntax === undefined ? undefined : RELAXED_SYNTAXES.get(syntax);
  return strict === undefined ? syntaxProblem(syntax, value) : strict(value);
}

const foldSpaces = (s: string): string => s.trim().replace(/\s+/g, ' ');

/** Sortable normal form of a generalizedTime: fixed width, so text order is time order. */
export function timeKey(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').replace('.', '').slice(0, 17) + 'Z';
}

/** Days in a month of the proleptic Gregorian calendar (month 1 to 12). */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * {@link timeKey} of a time in the form the directory writes, `YYYYMMDDHHMMSSZ` (startTime,
 * stopTime), read from its digits; undefined for any other form or an invalid time. Search
 * filters compare times on every candidate: parsing each into a Date and formatting it back
 * was a fifth of a time-window search's CPU.
 */
function canonicalTimeKey(value: string): string | undefined {
  if (value.length !== 15 || value.charCodeAt(14) !== 0x5a /* Z */) return undefined;
  const digits: number[] = [];
  for (let i = 0; i < 14; i += 1) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    digits.push(d);
  }
  const two = (i: number): number => digits[i]! * 10 + digits[i + 1]!;
  const year = two(0) * 100 + two(2);
  const month = two(4);
  const day = two(6);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || two(8) > 23 || two(10) > 59 || two(12) > 59) return undefined;
  return `${value.slice(0, 14)}000Z`;
}

/** Sortable normal form of an integer: sign, digit count and digits, so text order is numeric order. */
function integerKey(value: string): string | undefined {
  if (!/^-?[0-9]+$/.test(value.trim())) return undefined;
  const negative = value.trim().startsWith('-');
  const digits = value.trim().replace(/^-/, '').replace(/^0+(?=.)/, '');
  if (digits === '0') return 'n0';
  const width = String(digits.length).padStart(4, '0');
  if (!negative) return `p${width}${digits}`;
  // Negative numbers sort before positives and in reverse: complement width and digits.
  const complement = (s: string): string => [...s].map((d) => String(9 - Number(d))).join('');
  return `m${complement(width)}${complement(digits)}`;
}

/**
 * The normal form of a value for equality (and, where the rule allows, ordering), or
 * undefined when the value cannot be compared under the attribute's rules.
 * `dnNormalizer` normalises DN-syntax values.
 */
export function normalize(rules: MatchingRules, value: string, dnNormalizer?: (dn: string) => string): string | undefined {
  const rule = (rules.equality ?? '').toLowerCase();
  switch (rule) {
    case 'caseignorematch':
    case 'caseignoreia5match':
    case 'caseignorelistmatch':
      return foldSpaces(value).toLowerCase();
    case 'caseexactmatch':
    case 'caseexactia5match':
      return foldSpaces(value);
    case 'numericstringmatch':
      return value.replace(/ /g, '');
    case 'telephonenumbermatch':
      return value.replace(/[\s-]/g, '').toLowerCase();
    case 'integermatch':
      return integerKey(value);
    case 'generalizedtimematch': {
      const canonical = canonicalTimeKey(value);
      if (canonical !== undefined) return canonical;
      const date = parseGeneralizedTime(value.trim());
      return date ? timeKey(date) : undefined;
    }
    case 'booleanmatch':
      return value.trim().toUpperCase();
    case 'csnmatch':
      return value.trim();
    case 'objectidentifiermatch':
    case 'uuidmatch':
      return value.trim().toLowerCase();
    case 'distinguishednamematch':
      if (!dnNormalizer) return value;
      try {
        return dnNormalizer(value);
      } catch {
        return undefined;
      }
    case 'octetstringmatch':
      return value;
    case '':
      // No equality rule: nothing can be matched by equality (RFC 4512 §4.1.2); callers treat
      // such attributes as undefined in filters. Keep the raw value for storage comparisons.
      return value;
    default:
      return foldSpaces(value).toLowerCase();
  }
}

/** Whether the attribute has an equality rule at all. */
export function hasEquality(rules: MatchingRules): boolean {
  return (rules.equality ?? '') !== '';
}

/** Whether the attribute's values can be ordered (an ORDERING rule, or integer/time equality implying one). */
export function isOrdered(rules: MatchingRules): boolean {
  return (rules.ordering ?? '') !== '';
}

/** Normal form for substring matching: case folded unless the rule is case-exact. */
export function substringForm(rules: MatchingRules, value: string): string {
  const rule = (rules.substr ?? rules.equality ?? '').toLowerCase();
  if (rule.startsWith('caseexact') || rule === 'octetstringsubstringsmatch') return foldSpaces(value);
  if (rule.startsWith('telephonenumber')) return value.replace(/[\s-]/g, '').toLowerCase();
  return foldSpaces(value).toLowerCase();
}

/** Does a value match a substring assertion? Pieces are already in {@link substringForm}. */
export function matchesSubstrings(value: string, initial: string | undefined, any: readonly string[], final: string | undefined): boolean {
  let pos = 0;
  if (initial !== undefined) {
    if (!value.startsWith(initial)) return false;
    pos = initial.length;
  }
  for (const piece of any) {
    const at = value.indexOf(piece, pos);
    if (at === -1) return false;
    pos = at + piece.length;
  }
  if (final !== undefined) return value.length - pos >= final.length && value.endsWith(final);
  return true;
}
