/**
 * Renders definitions as RFC 4512 description strings, one line each, in the field order
 * of the RFC grammar: the values of `attributeTypes`, `objectClasses`, `ldapSyntaxes`,
 * `matchingRules` and `matchingRuleUse` in cn=Subschema. Parsing a rendered string gives
 * back an equal definition.
 *
 * @packageDocumentation
 */
import type {
  AttributeTypeDefinition,
  Extensions,
  LdapSyntaxDefinition,
  MatchingRuleDefinition,
  MatchingRuleUseDefinition,
  ObjectClassDefinition,
} from './types.js';

/** Quotes a string as an RFC 4512 `qdstring` (`'` as `\27`, `\` as `\5C`). */
export function quoteDString(text: string): string {
  return `'${text.replace(/\\/g, '\\5C').replace(/'/g, '\\27')}'`;
}

function qdescrs(names: readonly string[]): string {
  if (names.length === 1) return `'${names[0] as string}'`;
  return `( ${names.map((name) => `'${name}'`).join(' ')} )`;
}

function oids(list: readonly string[]): string {
  if (list.length === 1) return list[0] as string;
  return `( ${list.join(' $ ')} )`;
}

function extensions(ext: Extensions): string[] {
  return Object.entries(ext).map(([name, values]) => {
    if (values.length === 1) return `${name} ${quoteDString(values[0] as string)}`;
    return values.length === 0 ? `${name} ( )` : `${name} ( ${values.map(quoteDString).join(' ')} )`;
  });
}

function common(def: { oid: string; names?: readonly string[]; desc?: string | undefined; obsolete?: boolean }): string[] {
  const parts = [def.oid];
  if (def.names && def.names.length > 0) parts.push(`NAME ${qdescrs(def.names)}`);
  if (def.desc !== undefined) parts.push(`DESC ${quoteDString(def.desc)}`);
  if (def.obsolete) parts.push('OBSOLETE');
  return parts;
}

const wrap = (parts: readonly string[]): string => `( ${parts.join(' ')} )`;

/** `( oid NAME ... DESC ... SUP ... EQUALITY ... SYNTAX oid{len} SINGLE-VALUE ... USAGE ... )` */
export function renderAttributeType(def: AttributeTypeDefinition): string {
  const parts = common(def);
  if (def.sup !== undefined) parts.push(`SUP ${def.sup}`);
  if (def.equality !== undefined) parts.push(`EQUALITY ${def.equality}`);
  if (def.ordering !== undefined) parts.push(`ORDERING ${def.ordering}`);
  if (def.substr !== undefined) parts.push(`SUBSTR ${def.substr}`);
  if (def.syntax !== undefined) parts.push(`SYNTAX ${def.syntax}${def.syntaxLength === undefined ? '' : `{${def.syntaxLength}}`}`);
  if (def.singleValue) parts.push('SINGLE-VALUE');
  if (def.collective) parts.push('COLLECTIVE');
  if (def.noUserModification) parts.push('NO-USER-MODIFICATION');
  if (def.usage !== 'userApplications') parts.push(`USAGE ${def.usage}`);
  parts.push(...extensions(def.extensions));
  return wrap(parts);
}

/** `( oid NAME ... DESC ... SUP ... KIND MUST ... MAY ... )`; the kind is always written. */
export function renderObjectClass(def: ObjectClassDefinition): string {
  const parts = common(def);
  if (def.sup.length > 0) parts.push(`SUP ${oids(def.sup)}`);
  parts.push(def.kind);
  if (def.must.length > 0) parts.push(`MUST ${oids(def.must)}`);
  if (def.may.length > 0) parts.push(`MAY ${oids(def.may)}`);
  parts.push(...extensions(def.extensions));
  return wrap(parts);
}

/** `( oid DESC ... )` */
export function renderLdapSyntax(def: LdapSyntaxDefinition): string {
  return wrap([...common(def), ...extensions(def.extensions)]);
}

/** `( oid NAME ... SYNTAX oid )` */
export function renderMatchingRule(def: MatchingRuleDefinition): string {
  return wrap([...common(def), `SYNTAX ${def.syntax}`, ...extensions(def.extensions)]);
}

/** `( oid NAME ... APPLIES ( a $ b ) )` */
export function renderMatchingRuleUse(def: MatchingRuleUseDefinition): string {
  return wrap([...common(def), `APPLIES ${oids(def.applies)}`, ...extensions(def.extensions)]);
}
