/**
 * What a replica can store (model/replicable.ts, strictSyntaxProblem in model/matching.ts):
 * values the directory accepts only by relaxing a syntax for ILS clients (NetMeeting's `c: -`)
 * are what a server checking RFC 4517 strictly refuses, and are left out of an entry's
 * replicable attributes; everything else is kept as it is. The directory itself still takes
 * and shows such a value, but not as a name. slapd's own verdicts on the same values:
 * test/schema/slapd.test.ts; through the wire: test/replication.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ResultCode } from '../../src/directory/index.js';
import { isRelaxedSyntax, strictSyntaxProblem, Syntax, syntaxProblem } from '../../src/directory/model/matching.js';
import { replicableAttributes } from '../../src/directory/model/replicable.js';
import { admin, attributes, DYNAMIC, openTestDirectory, read, refusal, refusalMessage, type TestDirectory } from './helpers.js';

let t: TestDirectory;
afterEach(() => t?.close());

describe('strictSyntaxProblem', () => {
  it('checks a Country String as RFC 4517 §3.3.4 defines it (two printable characters), which the directory does not', () => {
    for (const valid of ['DE', 'fr', 'US', '--']) expect(strictSyntaxProblem(Syntax.countryString, valid), valid).toBeUndefined();
    for (const invalid of ['-', '', 'D', 'DEU', 'Ü ', 'D#', 'de ']) {
      expect(strictSyntaxProblem(Syntax.countryString, invalid), invalid).toMatch(/not a country code/);
      expect(syntaxProblem(Syntax.countryString, invalid), invalid).toBeUndefined();
    }
    expect(isRelaxedSyntax(Syntax.countryString)).toBe(true);
  });

  it('is syntaxProblem for every syntax the directory does not relax', () => {
    const cases: Array<[string | undefined, string]> = [
      [Syntax.integer, '12'],
      [Syntax.integer, 'twelve'],
      [Syntax.printableString, 'a#'],
      [Syntax.ia5String, 'é'],
      [Syntax.directoryString, ''],
      [Syntax.binary, '\u0000'],
      [undefined, 'anything'],
    ];
    for (const [syntax, value] of cases) {
      expect(isRelaxedSyntax(syntax)).toBe(false);
      expect(strictSyntaxProblem(syntax, value), `${syntax} ${value}`).toBe(syntaxProblem(syntax, value));
    }
  });
});

describe('replicableAttributes', () => {
  const SYNTAXES: Record<string, string> = { c: Syntax.countryString, cn: Syntax.directoryString, port: Syntax.integer };
  const syntaxOf = (key: string): string | undefined => SYNTAXES[key];

  it("leaves out the values a replica refuses, and an attribute left with none (NetMeeting's c: -)", () => {
    const stored = Object.freeze({ objectclass: ['rtPerson'], cn: ['egruber'], c: ['-'], port: ['1720'] });
    expect(replicableAttributes(stored, syntaxOf)).toEqual({ objectclass: ['rtPerson'], cn: ['egruber'], port: ['1720'] });
    // Only the refused value goes, where there are others (c is single-valued in the schema; the function does not assume it).
    expect(replicableAttributes({ cn: ['x'], c: ['-', 'DE'] }, syntaxOf)).toEqual({ cn: ['x'], c: ['DE'] });
    // What it was given is not changed.
    expect(stored.c).toEqual(['-']);
  });

  it('returns the same object when nothing is left out: valid countries, no country, attributes of unknown syntax', () => {
    const cases: Array<Record<string, string[]>> = [{ cn: ['x'], c: ['DE'] }, { cn: ['x'] }, { unknown: ['-'] }, {}];
    for (const stored of cases) expect(replicableAttributes(stored, syntaxOf)).toBe(stored);
  });
});

describe('the directory', () => {
  it("stores NetMeeting's c: - and shows it to searches", () => {
    t = openTestDirectory();
    t.directory.add(admin, `cn=egruber,${DYNAMIC}`, attributes({ objectClass: ['rtPerson', 'dynamicObject'], cn: 'egruber', c: '-' }));
    expect(read(t.directory, `cn=egruber,${DYNAMIC}`)?.get('c')).toEqual(['-']);
  });

  it('refuses such a value as a name (invalidDNSyntax, as slapd): a replica could not store the entry nor anything below it', () => {
    t = openTestDirectory();
    const add = (): unknown => t.directory.add(admin, `c=-,${DYNAMIC}`, attributes({ objectClass: ['rtPerson', 'dynamicObject'], cn: 'x' }));
    expect(refusal(add)).toBe(ResultCode.invalidDNSyntax);
    expect(refusalMessage(add)).toMatch(/c: '-' is not a country code/);
    t.directory.add(admin, `c=DE,${DYNAMIC}`, attributes({ objectClass: ['rtPerson', 'dynamicObject'], cn: 'x' }));
    expect(read(t.directory, `c=DE,${DYNAMIC}`)?.get('c')).toEqual(['DE']);
  });
});
