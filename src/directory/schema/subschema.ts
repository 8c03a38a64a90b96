/**
 * The values of the cn=Subschema entry: every attribute type and object class, and the
 * LDAP syntaxes, matching rules and matching rule uses they need.
 *
 * @packageDocumentation
 */
import type { AttributeType, LdapSyntax, MatchingRule, ObjectClass } from './elements.js';
import { renderAttributeType, renderLdapSyntax, renderMatchingRule, renderMatchingRuleUse, renderObjectClass } from './render.js';

/** The elements a subschema is rendered from (a {@link Schema} has them). */
export interface SubschemaSource {
  readonly ldapSyntaxes: readonly LdapSyntax[];
  readonly matchingRules: readonly MatchingRule[];
  readonly attributeTypes: readonly AttributeType[];
  readonly objectClasses: readonly ObjectClass[];
}

/** Options of {@link subschemaValues}. */
export interface SubschemaOptions {
  /**
   * `used` (default): only the syntaxes and matching rules some attribute type uses (and
   * the assertion syntaxes of those rules). `all`: every one defined.
   */
  include?: 'used' | 'all';
}

/** Values of the operational attributes of cn=Subschema, as RFC 4512 description strings. */
export interface SubschemaValues {
  readonly ldapSyntaxes: readonly string[];
  readonly matchingRules: readonly string[];
  /** For each matching rule used, the attribute types that use it (RFC 4512 4.1.4). */
  readonly matchingRuleUse: readonly string[];
  readonly attributeTypes: readonly string[];
  readonly objectClasses: readonly string[];
}

/**
 * Renders the subschema. `matchingRuleUse` lists, for each matching rule, the attribute
 * types whose effective EQUALITY, ORDERING or SUBSTR rule it is: the attributes an
 * extensible match with that rule is known to work on.
 */
export function subschemaValues(schema: SubschemaSource, options: SubschemaOptions = {}): SubschemaValues {
  const uses = new Map<string, AttributeType[]>();
  for (const type of schema.attributeTypes) {
    for (const rule of [type.equality, type.ordering, type.substr]) {
      if (!rule) continue;
      const list = uses.get(rule.oid) ?? [];
      if (!list.includes(type)) list.push(type);
      uses.set(rule.oid, list);
    }
  }
  const all = options.include === 'all';
  const rules = schema.matchingRules.filter((rule) => all || uses.has(rule.oid));
  const usedSyntaxes = new Set([...schema.attributeTypes.map((type) => type.syntax.oid), ...rules.map((rule) => rule.syntax.oid)]);
  const syntaxes = schema.ldapSyntaxes.filter((syntax) => all || usedSyntaxes.has(syntax.oid));
  const ruleUses = schema.matchingRules.flatMap((rule) => {
    const applies = uses.get(rule.oid);
    if (!applies) return [];
    return [
      renderMatchingRuleUse({
        oid: rule.oid,
        names: rule.names,
        obsolete: false,
        applies: applies.map((type) => type.name),
        extensions: {},
      }),
    ];
  });
  return {
    ldapSyntaxes: syntaxes.map((syntax) => renderLdapSyntax(syntax.definition)),
    matchingRules: rules.map((rule) => renderMatchingRule(rule.definition)),
    matchingRuleUse: ruleUses,
    attributeTypes: schema.attributeTypes.map((type) => renderAttributeType(type.definition)),
    objectClasses: schema.objectClasses.map((objectClass) => renderObjectClass(objectClass.definition)),
  };
}
