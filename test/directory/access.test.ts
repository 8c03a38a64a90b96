/**
 * Access control, against the directory in this process: who may add where, and who may
 * change (modify, refresh, delete) an entry: its creator or an admin; with --ils-open,
 * anonymous clients too, owning what they add by their address.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OperationError, ResultCode, type Identity } from '../../src/directory/index.js';
import { admin, alice, anonymousAt, APPLICATIONS, attributes, bob, change, DYNAMIC, openTestDirectory, person, read, refusal, SUFFIX, type TestDirectory } from './helpers.js';

let t: TestDirectory;
afterEach(() => t.close());

/** Each way of changing an entry, in turn, as `who`: the result code of each, 0 when allowed (the delete, last, then deletes it). */
function changes(who: Identity, dn: string): Record<string, number> {
  const attempt = (write: () => unknown): number => {
    try {
      write();
      return 0;
    } catch (error) {
      if (error instanceof OperationError) return error.code;
      throw error;
    }
  };
  return {
    modify: attempt(() => t.directory.modify(who, dn, [change('replace', 'sn', 'Changed')])),
    refresh: attempt(() => t.directory.refresh(who, dn, 600)),
    modifyTtl: attempt(() => t.directory.modify(who, dn, [change('replace', 'entryTTL', '600')])),
    delete: attempt(() => t.directory.delete(who, dn)),
  };
}
const ALLOWED = { modify: 0, refresh: 0, modifyTtl: 0, delete: 0 };
const REFUSED = { modify: ResultCode.insufficientAccessRights, refresh: ResultCode.insufficientAccessRights, modifyTtl: ResultCode.insufficientAccessRights, delete: ResultCode.insufficientAccessRights };

describe('on a default server', () => {
  it('anonymous clients read but do not add', () => {
    t = openTestDirectory();
    expect(refusal(() => t.directory.add(anonymousAt('192.0.2.7'), `cn=Ann,${DYNAMIC}`, person('Ann')))).toBe(ResultCode.insufficientAccessRights);
    expect(read(t.directory, DYNAMIC)?.get('ou')).toEqual(['dynamic']);
  });

  it('accounts add under ou=dynamic and ou=applications only; an admin anywhere', () => {
    t = openTestDirectory();
    t.directory.add(alice, `cn=Ann,${DYNAMIC}`, person('Ann'));
    t.directory.add(alice, `cn=Ann,appName=app,${APPLICATIONS}`, person('Ann'));
    expect(refusal(() => t.directory.add(alice, `ou=people,${SUFFIX}`, attributes({ objectClass: 'organizationalUnit', ou: 'people' })))).toBe(ResultCode.insufficientAccessRights);
    t.directory.add(admin, `ou=people,${SUFFIX}`, attributes({ objectClass: 'organizationalUnit', ou: 'people' }));
    expect(refusal(() => t.directory.add(alice, `cn=Ann,ou=people,${SUFFIX}`, person('Ann')))).toBe(ResultCode.insufficientAccessRights);
  });

  it("only an entry's creator or an admin changes it", () => {
    t = openTestDirectory();
    for (const cn of ['A', 'B']) t.directory.add(alice, `cn=${cn},${DYNAMIC}`, person(cn));
    expect(changes(bob, `cn=A,${DYNAMIC}`)).toEqual(REFUSED);
    expect(changes(anonymousAt(alice.address), `cn=A,${DYNAMIC}`)).toEqual(REFUSED);
    expect(changes(alice, `cn=A,${DYNAMIC}`)).toEqual(ALLOWED);
    expect(changes(admin, `cn=B,${DYNAMIC}`)).toEqual(ALLOWED);
  });

  it('records who created and last modified an entry', () => {
    t = openTestDirectory();
    t.directory.add(alice, `cn=A,${DYNAMIC}`, person('A'));
    t.directory.modify(admin, `cn=A,${DYNAMIC}`, [change('replace', 'sn', 'A')]);
    const entry = read(t.directory, `cn=A,${DYNAMIC}`, ['creatorsName', 'modifiersName'])!;
    expect(entry.get('creatorsname')).toEqual([alice.ndn]);
    expect(entry.get('modifiersname')).toEqual([admin.ndn]);
  });
});

describe('on an --ils-open server', () => {
  it('anonymous clients add under the ILS containers and own what they add by their address', () => {
    t = openTestDirectory({ ilsOpen: true });
    const here = anonymousAt('192.0.2.7');
    t.directory.add(here, `cn=A,${DYNAMIC}`, person('A'));
    t.directory.add(here, `cn=B,${DYNAMIC}`, person('B'));
    expect(refusal(() => t.directory.add(here, `ou=people,${SUFFIX}`, attributes({ objectClass: 'organizationalUnit', ou: 'people' })))).toBe(ResultCode.insufficientAccessRights);
    expect(changes(anonymousAt('192.0.2.8'), `cn=A,${DYNAMIC}`)).toEqual(REFUSED);
    expect(changes(alice, `cn=A,${DYNAMIC}`)).toEqual(REFUSED);
    expect(changes(here, `cn=A,${DYNAMIC}`)).toEqual(ALLOWED);
    // No account made it: creatorsName is empty, and so absent.
    expect(read(t.directory, `cn=B,${DYNAMIC}`, ['creatorsName'])?.get('creatorsname')).toBeUndefined();
  });
});
