/**
 * Parser of RFC 4512 descriptions and of OpenLDAP-style schema files (`attributetype`,
 * `objectclass`, `objectidentifier`, `ldapsyntax`, plus the Rendezvous `matchingrule`).
 * Pure: it reads strings and never touches files.
 *
 * Accepted like slapd (and beyond the strict RFC grammar): keywords in any case and in any
 * order, OIDs in single quotes (`SYNTAX '1.3.6.1.4.1.1466.115.121.1.15'`), OID macros
 * (`Name` or `Name:1.2`) for the defined OID and for SYNTAX.
 *
 * @packageDocumentation
 */
import { SchemaParseError } from './errors.js';
import { splitStatements, Statement, tokenize, type Token } from './tokenizer.js';
import type {
  AttributeTypeDefinition,
  AttributeUsage,
  LdapSyntaxDefinition,
  MatchingRuleDefinition,
  MatchingRuleUseDefinition,
  ObjectClassDefinition,
  ObjectClassKind,
  SchemaDocument,
  SchemaStatement,
} from './types.js';

/** Options of the parse functions. */
export interface ParseOptions {
  /** Name used in error messages and source locations (default `<description>` or `<schema>`). */
  file?: string;
  /** OID macros in force, keyed by lower-cased name (see {@link SchemaDocument.macros}). */
  macros?: ReadonlyMap<string, string>;
}

const NUMERIC_OID = /^(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))+$/;
const DESCR = /^[A-Za-z][A-Za-z0-9-]*$/;
const XSTRING = /^X-[A-Za-z_-]+$/;

/** Is `text` a numeric OID (`1.2.840.113556`)? */
export function isNumericOid(text: string): boolean {
  return NUMERIC_OID.test(text);
}

/** Is `text` a descriptor (short name) per RFC 4512 `keystring`? */
export function isDescriptor(text: string): boolean {
  return DESCR.test(text);
}

const USAGES: Readonly<Record<string, AttributeUsage>> = {
  userapplications: 'userApplications',
  directoryoperation: 'directoryOperation',
  distributedoperation: 'distributedOperation',
  dsaoperation: 'dSAOperation',
};

type FieldKind = 'flag' | 'qdescrs' | 'qdstring' | 'oid' | 'oids' | 'noidlen' | 'numericoid' | 'usage';

/** A field value as read, with the token it started at (for error positions). */
type FieldValue =
  | { kind: 'flag'; token: Token }
  | { kind: 'strings'; token: Token; values: string[] }
  | { kind: 'string'; token: Token; value: string }
  | { kind: 'noidlen'; token: Token; oid: string; length?: number | undefined };

interface Fields {
  oid: string;
  values: Map<string, FieldValue>;
  extensions: Record<string, readonly string[]>;
}

/** Reads tokens of one statement, with errors that point into the file. */
class Cursor {
  private pos = 0;

  constructor(
    private readonly statement: Statement,
    private readonly tokens: readonly Token[],
    private what: string,
  ) {}

  /** Names the element in later errors once its OID is known: `attributetype 2.5.4.3`. */
  identify(oid: string): void {
    this.what = `${this.what} ${oid}`;
  }

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  /** The next token; an error naming `expected` if there is none. */
  next(expected: string): Token {
    const token = this.tokens[this.pos];
    if (!token) throw this.statement.error(this.statement.text.length, `${this.what}: expected ${expected} but the description ends`);
    this.pos += 1;
    return token;
  }

  error(token: Token | undefined, reason: string): SchemaParseError {
    return this.statement.error(token ? token.offset : this.statement.text.length, `${this.what}: ${reason}`);
  }
}

function describe(token: Token): string {
  return `'${token.value}'`;
}

/** Expands an OID macro reference; undefined if `word` is neither numeric nor a known macro. */
function expandOid(word: string, macros: ReadonlyMap<string, string>): string | undefined {
  if (NUMERIC_OID.test(word)) return word;
  const colon = word.indexOf(':');
  const name = colon === -1 ? word : word.slice(0, colon);
  const base = macros.get(name.toLowerCase());
  if (base === undefined) return undefined;
  if (colon === -1) return base;
  const suffix = word.slice(colon + 1);
  return /^(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*$/.test(suffix) ? `${base}.${suffix}` : undefined;
}

function readOid(cursor: Cursor): string {
  const token = cursor.next('an OID or a name');
  if (token.kind !== 'word' && token.kind !== 'quoted') throw cursor.error(token, `expected an OID or a name, found ${describe(token)}`);
  if (!NUMERIC_OID.test(token.value) && !DESCR.test(token.value)) {
    throw cursor.error(token, `${describe(token)} is neither a numeric OID nor a descriptor`);
  }
  return token.value;
}

function readOids(cursor: Cursor): string[] {
  const first = cursor.peek();
  if (first?.kind !== 'lparen') return [readOid(cursor)];
  cursor.next('(');
  const oids = [readOid(cursor)];
  for (;;) {
    const token = cursor.next("'$' or ')'");
    if (token.kind === 'rparen') return oids;
    if (token.kind !== 'dollar') throw cursor.error(token, `expected '$' or ')' in an OID list, found ${describe(token)}`);
    oids.push(readOid(cursor));
  }
}

function readQuoted(cursor: Cursor, what: string): string {
  const token = cursor.next(what);
  if (token.kind !== 'quoted') throw cursor.error(token, `expected ${what} in single quotes, found ${describe(token)}`);
  return token.value;
}

function readQuotedList(cursor: Cursor, what: string, check?: (token: Token) => void): string[] {
  const first = cursor.peek();
  if (first?.kind !== 'lparen') {
    const token = cursor.next(what);
    if (token.kind !== 'quoted') throw cursor.error(token, `expected ${what} in single quotes, found ${describe(token)}`);
    check?.(token);
    return [token.value];
  }
  cursor.next('(');
  const values: string[] = [];
  for (;;) {
    const token = cursor.next(`${what} or ')'`);
    if (token.kind === 'rparen') return values;
    if (token.kind !== 'quoted') throw cursor.error(token, `expected ${what} in single quotes or ')', found ${describe(token)}`);
    check?.(token);
    values.push(token.value);
  }
}

/**
 * Reads `( numericoid keyword value ... )` with the keywords `allowed`, and X- extensions.
 * Keywords may come in any order but only once each.
 */
function readFields(cursor: Cursor, allowed: Readonly<Record<string, FieldKind>>, macros: ReadonlyMap<string, string>): Fields {
  const open = cursor.next("'('");
  if (open.kind !== 'lparen') throw cursor.error(open, `a description starts with '(', found ${describe(open)}`);
  const oidToken = cursor.next('the numeric OID');
  if (oidToken.kind !== 'word' && oidToken.kind !== 'quoted') throw cursor.error(oidToken, `expected the numeric OID, found ${describe(oidToken)}`);
  const oid = expandOid(oidToken.value, macros);
  if (oid === undefined) {
    throw cursor.error(oidToken, `${describe(oidToken)} is neither a numeric OID nor a known objectidentifier macro`);
  }
  cursor.identify(oid);
  const values = new Map<string, FieldValue>();
  const extensions: Record<string, readonly string[]> = {};
  for (;;) {
    const token = cursor.next("a keyword or ')'");
    if (token.kind === 'rparen') break;
    if (token.kind !== 'word') throw cursor.error(token, `expected a keyword or ')', found ${describe(token)}`);
    if (XSTRING.test(token.value)) {
      if (Object.keys(extensions).some((name) => name.toUpperCase() === token.value.toUpperCase())) {
        throw cursor.error(token, `extension ${token.value} appears twice`);
      }
      extensions[token.value] = readQuotedList(cursor, `a value of ${token.value}`);
      continue;
    }
    const keyword = token.value.toUpperCase();
    const kind = allowed[keyword];
    if (kind === undefined) {
      throw cursor.error(token, `unknown keyword '${token.value}' (allowed: ${Object.keys(allowed).join(', ')}, X-...)`);
    }
    if (values.has(keyword)) throw cursor.error(token, `${keyword} appears twice`);
    values.set(keyword, readValue(cursor, token, keyword, kind, macros));
  }
  const rest = cursor.peek();
  if (rest) throw cursor.error(rest, `unexpected ${describe(rest)} after the closing ')'`);
  return { oid, values, extensions };
}

function readValue(cursor: Cursor, token: Token, keyword: string, kind: FieldKind, macros: ReadonlyMap<string, string>): FieldValue {
  switch (kind) {
    case 'flag':
      return { kind: 'flag', token };
    case 'qdescrs':
      return {
        kind: 'strings',
        token,
        values: readQuotedList(cursor, 'a name', (name) => {
          if (!DESCR.test(name.value)) throw cursor.error(name, `'${name.value}' is not a valid name (a letter, then letters, digits or '-')`);
        }),
      };
    case 'qdstring':
      return { kind: 'string', token, value: readQuoted(cursor, `the ${keyword} text`) };
    case 'oid':
      return { kind: 'string', token, value: readOid(cursor) };
    case 'oids':
      return { kind: 'strings', token, values: readOids(cursor) };
    case 'numericoid': {
      const value = cursor.next('a numeric OID');
      const oid = value.kind === 'word' || value.kind === 'quoted' ? expandOid(value.value, macros) : undefined;
      if (oid === undefined) throw cursor.error(value, `${keyword} needs a numeric OID, found ${describe(value)}`);
      return { kind: 'string', token, value: oid };
    }
    case 'noidlen': {
      const value = cursor.next('a syntax OID');
      const match = value.kind === 'word' || value.kind === 'quoted' ? /^(.+?)(?:\{(\d+)\})?$/.exec(value.value) : null;
      const oid = match ? expandOid(match[1] as string, macros) : undefined;
      if (!match || oid === undefined) throw cursor.error(value, `${keyword} needs a numeric OID with an optional {length}, found ${describe(value)}`);
      return { kind: 'noidlen', token, oid, length: match[2] === undefined ? undefined : Number(match[2]) };
    }
    case 'usage': {
      const value = cursor.next('a usage');
      const usage = value.kind === 'word' ? USAGES[value.value.toLowerCase()] : undefined;
      if (usage === undefined) {
        throw cursor.error(value, `USAGE must be userApplications, directoryOperation, distributedOperation or dSAOperation, found ${describe(value)}`);
      }
      return { kind: 'string', token, value: usage };
    }
  }
}

function str(fields: Fields, key: string): string | undefined {
  const value = fields.values.get(key);
  return value?.kind === 'string' ? value.value : undefined;
}

function strs(fields: Fields, key: string): string[] {
  const value = fields.values.get(key);
  return value?.kind === 'strings' ? value.values : [];
}

function flag(fields: Fields, key: string): boolean {
  return fields.values.has(key);
}

const ATTRIBUTE_FIELDS: Readonly<Record<string, FieldKind>> = {
  NAME: 'qdescrs',
  DESC: 'qdstring',
  OBSOLETE: 'flag',
  SUP: 'oid',
  EQUALITY: 'oid',
  ORDERING: 'oid',
  SUBSTR: 'oid',
  SYNTAX: 'noidlen',
  'SINGLE-VALUE': 'flag',
  COLLECTIVE: 'flag',
  'NO-USER-MODIFICATION': 'flag',
  USAGE: 'usage',
};

function attributeType(cursor: Cursor, macros: ReadonlyMap<string, string>): AttributeTypeDefinition {
  const fields = readFields(cursor, ATTRIBUTE_FIELDS, macros);
  const syntax = fields.values.get('SYNTAX');
  const usage = (str(fields, 'USAGE') ?? 'userApplications') as AttributeUsage;
  const sup = str(fields, 'SUP');
  if (sup === undefined && syntax === undefined) throw cursor.error(undefined, 'an attribute type needs SUP or SYNTAX (RFC 4512 4.1.2)');
  if (flag(fields, 'NO-USER-MODIFICATION') && usage === 'userApplications') {
    throw cursor.error(fields.values.get('NO-USER-MODIFICATION')?.token, 'NO-USER-MODIFICATION requires an operational USAGE (RFC 4512 4.1.2)');
  }
  if (flag(fields, 'COLLECTIVE') && usage !== 'userApplications') {
    throw cursor.error(fields.values.get('COLLECTIVE')?.token, 'COLLECTIVE requires USAGE userApplications (RFC 4512 4.1.2)');
  }
  return {
    oid: fields.oid,
    names: strs(fields, 'NAME'),
    desc: str(fields, 'DESC'),
    obsolete: flag(fields, 'OBSOLETE'),
    sup,
    equality: str(fields, 'EQUALITY'),
    ordering: str(fields, 'ORDERING'),
    substr: str(fields, 'SUBSTR'),
    syntax: syntax?.kind === 'noidlen' ? syntax.oid : undefined,
    syntaxLength: syntax?.kind === 'noidlen' ? syntax.length : undefined,
    singleValue: flag(fields, 'SINGLE-VALUE'),
    collective: flag(fields, 'COLLECTIVE'),
    noUserModification: flag(fields, 'NO-USER-MODIFICATION'),
    usage,
    extensions: fields.extensions,
  };
}

const OBJECT_CLASS_FIELDS: Readonly<Record<string, FieldKind>> = {
  NAME: 'qdescrs',
  DESC: 'qdstring',
  OBSOLETE: 'flag',
  SUP: 'oids',
  ABSTRACT: 'flag',
  STRUCTURAL: 'flag',
  AUXILIARY: 'flag',
  MUST: 'oids',
  MAY: 'oids',
};

function objectClass(cursor: Cursor, macros: ReadonlyMap<string, string>): ObjectClassDefinition {
  const fields = readFields(cursor, OBJECT_CLASS_FIELDS, macros);
  const kinds = (['ABSTRACT', 'STRUCTURAL', 'AUXILIARY'] as const).filter((kind) => fields.values.has(kind));
  if (kinds.length > 1) throw cursor.error(fields.values.get(kinds[1] as string)?.token, `an object class has one kind, found ${kinds.join(' and ')}`);
  const kind: ObjectClassKind = kinds[0] ?? 'STRUCTURAL';
  return {
    oid: fields.oid,
    names: strs(fields, 'NAME'),
    desc: str(fields, 'DESC'),
    obsolete: flag(fields, 'OBSOLETE'),
    sup: strs(fields, 'SUP'),
    kind,
    must: strs(fields, 'MUST'),
    may: strs(fields, 'MAY'),
    extensions: fields.extensions,
  };
}

function ldapSyntax(cursor: Cursor, macros: ReadonlyMap<string, string>): LdapSyntaxDefinition {
  const fields = readFields(cursor, { DESC: 'qdstring' }, macros);
  return { oid: fields.oid, desc: str(fields, 'DESC'), extensions: fields.extensions };
}

function matchingRule(cursor: Cursor, macros: ReadonlyMap<string, string>): MatchingRuleDefinition {
  const fields = readFields(cursor, { NAME: 'qdescrs', DESC: 'qdstring', OBSOLETE: 'flag', SYNTAX: 'numericoid' }, macros);
  const syntax = str(fields, 'SYNTAX');
  if (syntax === undefined) throw cursor.error(undefined, 'a matching rule needs SYNTAX (RFC 4512 4.1.3)');
  return {
    oid: fields.oid,
    names: strs(fields, 'NAME'),
    desc: str(fields, 'DESC'),
    obsolete: flag(fields, 'OBSOLETE'),
    syntax,
    extensions: fields.extensions,
  };
}

function matchingRuleUse(cursor: Cursor, macros: ReadonlyMap<string, string>): MatchingRuleUseDefinition {
  const fields = readFields(cursor, { NAME: 'qdescrs', DESC: 'qdstring', OBSOLETE: 'flag', APPLIES: 'oids' }, macros);
  if (!fields.values.has('APPLIES')) throw cursor.error(undefined, 'a matching rule use needs APPLIES (RFC 4512 4.1.4)');
  return {
    oid: fields.oid,
    names: strs(fields, 'NAME'),
    desc: str(fields, 'DESC'),
    obsolete: flag(fields, 'OBSOLETE'),
    applies: strs(fields, 'APPLIES'),
    extensions: fields.extensions,
  };
}

function single<T>(text: string, what: string, options: ParseOptions, read: (cursor: Cursor, macros: ReadonlyMap<string, string>) => T): T {
  const file = options.file ?? '<description>';
  const statement = new Statement(file, text, [{ offset: 0, line: 1, column: 1 }]);
  return read(new Cursor(statement, tokenize(statement), what), options.macros ?? new Map());
}

/**
 * Parses one RFC 4512 AttributeTypeDescription, e.g. an `attributeTypes` value.
 *
 * @throws {@link SchemaParseError} naming the column and what is wrong.
 */
export function parseAttributeTypeDescription(text: string, options: ParseOptions = {}): AttributeTypeDefinition {
  return single(text, 'attribute type', options, attributeType);
}

/** Parses one RFC 4512 ObjectClassDescription. @throws {@link SchemaParseError} */
export function parseObjectClassDescription(text: string, options: ParseOptions = {}): ObjectClassDefinition {
  return single(text, 'object class', options, objectClass);
}

/** Parses one RFC 4512 SyntaxDescription. @throws {@link SchemaParseError} */
export function parseLdapSyntaxDescription(text: string, options: ParseOptions = {}): LdapSyntaxDefinition {
  return single(text, 'LDAP syntax', options, ldapSyntax);
}

/** Parses one RFC 4512 MatchingRuleDescription. @throws {@link SchemaParseError} */
export function parseMatchingRuleDescription(text: string, options: ParseOptions = {}): MatchingRuleDefinition {
  return single(text, 'matching rule', options, matchingRule);
}

/** Parses one RFC 4512 MatchingRuleUseDescription. @throws {@link SchemaParseError} */
export function parseMatchingRuleUseDescription(text: string, options: ParseOptions = {}): MatchingRuleUseDefinition {
  return single(text, 'matching rule use', options, matchingRuleUse);
}

/** The directives of a schema file and the element each describes. */
const DIRECTIVES: Readonly<Record<string, string>> = {
  attributetype: 'attributetype',
  objectclass: 'objectclass',
  objectidentifier: 'objectidentifier',
  ldapsyntax: 'ldapsyntax',
  matchingrule: 'matchingrule',
};

function objectIdentifier(statement: Statement, tokens: readonly Token[], macros: Map<string, string>): SchemaStatement {
  const [, nameToken, valueToken, extra] = tokens;
  if (!nameToken || !valueToken || nameToken.kind !== 'word' || valueToken.kind !== 'word') {
    throw statement.error(nameToken?.offset ?? statement.text.length, 'objectidentifier needs a name and an OID (objectidentifier <name> <oid | name[:suffix]>)');
  }
  if (extra) throw statement.error(extra.offset, `objectidentifier: unexpected '${extra.value}' after the OID`);
  if (!DESCR.test(nameToken.value)) throw statement.error(nameToken.offset, `objectidentifier: '${nameToken.value}' is not a valid macro name`);
  const key = nameToken.value.toLowerCase();
  if (macros.has(key)) {
    throw statement.error(nameToken.offset, `objectidentifier: '${nameToken.value}' is already defined as ${macros.get(key) ?? ''}`);
  }
  const oid = expandOid(valueToken.value, macros);
  if (oid === undefined) {
    throw statement.error(valueToken.offset, `objectidentifier: '${valueToken.value}' is neither a numeric OID nor a known macro`);
  }
  macros.set(key, oid);
  return { kind: 'objectIdentifier', name: nameToken.value, oid, source: { file: statement.file, line: statement.line } };
}

/**
 * Parses a schema file in OpenLDAP syntax (slapd.conf(5)): `attributetype`, `objectclass`,
 * `objectidentifier`, `ldapsyntax` and `matchingrule` directives, `#` comments, and
 * continuation lines that start with white space.
 *
 * @param text The file content.
 * @param file Name for error messages and {@link SourceLocation}s.
 * @throws {@link SchemaParseError} at the first error, naming file, line, column and the problem.
 */
export function parseSchemaFile(text: string, file: string, options: Pick<ParseOptions, 'macros'> = {}): SchemaDocument {
  const macros = new Map(options.macros ?? []);
  const statements: SchemaStatement[] = [];
  for (const statement of splitStatements(text, file)) {
    const tokens = tokenize(statement);
    const first = tokens[0];
    if (!first || first.kind !== 'word') throw statement.error(0, 'expected a directive (attributetype, objectclass, objectidentifier, ldapsyntax, matchingrule)');
    const directive = DIRECTIVES[first.value.toLowerCase()];
    if (directive === undefined) {
      throw statement.error(first.offset, `unknown directive '${first.value}' (expected attributetype, objectclass, objectidentifier, ldapsyntax or matchingrule)`);
    }
    const source = { file, line: statement.line };
    const cursor = (what: string): Cursor => new Cursor(statement, tokens.slice(1), what);
    switch (directive) {
      case 'objectidentifier':
        statements.push(objectIdentifier(statement, tokens, macros));
        break;
      case 'attributetype':
        statements.push({ kind: 'attributeType', definition: attributeType(cursor('attributetype'), macros), source });
        break;
      case 'objectclass':
        statements.push({ kind: 'objectClass', definition: objectClass(cursor('objectclass'), macros), source });
        break;
      case 'ldapsyntax':
        statements.push({ kind: 'ldapSyntax', definition: ldapSyntax(cursor('ldapsyntax'), macros), source });
        break;
      case 'matchingrule':
        statements.push({ kind: 'matchingRule', definition: matchingRule(cursor('matchingrule'), macros), source });
        break;
    }
  }
  return { file, statements, macros };
}
