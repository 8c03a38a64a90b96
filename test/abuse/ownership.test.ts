/**
 * Pinning another user's entry (issue 22, item 10), through the wire: bob added a child below
 * alice's conference, and alice could then delete neither her conference (notAllowedOnNonLeaf)
 * nor bob's child (insufficientAccessRights). The rule now (docs/server.md, "Access control"): below
 * an entry only its owner (or an admin) adds, the ILS containers staying open to whoever may
 * add; the owner of an entry owns what is below it, and deleting it takes its subtree. The
 * same with --ils-open between anonymous clients of two addresses (127.0.0.1, 127.0.0.2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session, type RawAttribute } from '../helpers/abuse.js';
import { accountDn, startServer, type TestServer } from '../helpers/server.js';

const DYNAMIC = 'ou=dynamic,o=Intranet';
const APPLICATIONS = 'ou=applications,o=Intranet';
const SUCCESS = 0;
const INSUFFICIENT_ACCESS_RIGHTS = 50;
const NOT_ALLOWED_ON_NON_LEAF = 66;

const accounts = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
  { name: 'admin', password: 'admin-pw', admin: true },
];
const conference = (uid: string): RawAttribute[] => [
  { type: 'objectClass', values: ['rtConference', 'dynamicObject'] },
  { type: 'uid', values: [uid] },
];
const person = (cn: string): RawAttribute[] => [
  { type: 'objectClass', values: ['rtPerson', 'dynamicObject'] },
  { type: 'cn', values: [cn] },
];
const applicationUser = (cn: string): RawAttribute[] => [
  { type: 'objectClass', values: ['rtApplicationUser', 'dynamicObject'] },
  { type: 'cn', values: [cn] },
];

describe('ownership below entries, --ils-open', () => {
  let server: TestServer;
  const sessions: Session[] = [];
  /** A session bound as `name`, or anonymous from `from`. */
  async function as(name: string | undefined, from = '127.0.0.1'): Promise<Session> {
    const session = await Session.open(server.port, from);
    sessions.push(session);
    if (name !== undefined) expect((await session.bind(accountDn(name), `${name}-pw`)).resultCode).toBe(SUCCESS);
    return session;
  }
  let alice: Session;
  let bob: Session;
  let admin: Session;
  beforeAll(async () => {
    server = await startServer({ ilsOpen: true, accounts });
    [alice, bob, admin] = await Promise.all([as('alice'), as('bob'), as('admin')]);
  });
  afterAll(async () => {
    for (const s of sessions) s.close();
    await server.stop();
  });

  it("bob cannot add below alice's conference (50); alice still deletes it", async () => {
    const dn = `uid=alice conf,${DYNAMIC}`;
    expect((await alice.add(dn, conference('alice conf'))).resultCode).toBe(SUCCESS);
    const pin = await bob.add(`cn=pin,${dn}`, person('pin'));
    expect(pin.resultCode).toBe(INSUFFICIENT_ACCESS_RIGHTS);
    expect(pin.diagnosticMessage).toBe(`only the owner of ${dn} (or an admin) may add entries below it`);
    expect(await bob.exists(`cn=pin,${dn}`)).toBe(false);
    expect((await alice.delete(dn)).resultCode).toBe(SUCCESS);
    expect(await alice.exists(dn)).toBe(false);
  });

  it('alice adds below her own conference, and deleting the conference takes the subtree with it', async () => {
    const dn = `uid=alice tree,${DYNAMIC}`;
    expect((await alice.add(dn, conference('alice tree'))).resultCode).toBe(SUCCESS);
    expect((await alice.add(`cn=child,${dn}`, person('child'))).resultCode).toBe(SUCCESS);
    expect((await alice.add(`cn=grandchild,cn=child,${dn}`, person('grandchild'))).resultCode).toBe(SUCCESS);
    // Not bob's to delete, nor anything below it.
    expect((await bob.delete(dn)).resultCode).toBe(INSUFFICIENT_ACCESS_RIGHTS);
    expect((await bob.delete(`cn=child,${dn}`)).resultCode).toBe(INSUFFICIENT_ACCESS_RIGHTS);
    expect((await alice.delete(dn)).resultCode).toBe(SUCCESS);
    for (const gone of [dn, `cn=child,${dn}`, `cn=grandchild,cn=child,${dn}`]) expect(await alice.exists(gone)).toBe(false);
  });

  it("what an admin added below alice's conference (as bob's pin was, before) is alice's to delete, alone or with the conference", async () => {
    const dn = `uid=alice pinned,${DYNAMIC}`;
    expect((await alice.add(dn, conference('alice pinned'))).resultCode).toBe(SUCCESS);
    expect((await admin.add(`cn=pin1,${dn}`, person('pin1'))).resultCode).toBe(SUCCESS);
    expect((await admin.add(`cn=pin2,${dn}`, person('pin2'))).resultCode).toBe(SUCCESS);
    // Was insufficientAccessRights (50) for the child and notAllowedOnNonLeaf (66) for the conference.
    expect((await alice.delete(`cn=pin1,${dn}`)).resultCode).toBe(SUCCESS);
    expect((await alice.modify(`cn=pin2,${dn}`, [{ operation: 2, modification: { type: 'location', values: ['moved'] } }])).resultCode).toBe(SUCCESS);
    expect((await bob.delete(`cn=pin2,${dn}`)).resultCode).toBe(INSUFFICIENT_ACCESS_RIGHTS);
    expect((await alice.delete(dn)).resultCode).toBe(SUCCESS);
    expect(await alice.exists(`cn=pin2,${dn}`)).toBe(false);
  });

  it('the containers stay open to whoever may add, and are deleted only when empty, even by an admin (66)', async () => {
    expect((await bob.add(`cn=bob,${DYNAMIC}`, person('bob'))).resultCode).toBe(SUCCESS);
    const app = `appName=pinning,${APPLICATIONS}`;
    expect((await alice.add(`cn=alice,${app}`, applicationUser('alice'))).resultCode).toBe(SUCCESS);
    expect((await bob.add(`cn=bob,${app}`, applicationUser('bob'))).resultCode).toBe(SUCCESS);
    // The application container is the server's: not alice's, who registered first.
    expect((await alice.delete(app)).resultCode).toBe(INSUFFICIENT_ACCESS_RIGHTS);
    expect((await admin.delete(app)).resultCode).toBe(NOT_ALLOWED_ON_NON_LEAF);
    expect((await admin.delete(DYNAMIC)).resultCode).toBe(NOT_ALLOWED_ON_NON_LEAF);
    expect(await admin.exists(`cn=bob,${app}`)).toBe(true);
    expect((await bob.delete(`cn=bob,${DYNAMIC}`)).resultCode).toBe(SUCCESS);
  });

  it('anonymous clients of two addresses: 127.0.0.2 cannot add below or delete what 127.0.0.1 added; 127.0.0.1 deletes it with its subtree', async () => {
    const one = await as(undefined, '127.0.0.1');
    const two = await as(undefined, '127.0.0.2');
    const dn = `uid=anon conf,${DYNAMIC}`;
    expect((await one.add(dn, conference('anon conf'))).resultCode).toBe(SUCCESS);
    expect((await two.add(`cn=pin,${dn}`, person('pin'))).resultCode).toBe(INSUFFICIENT_ACCESS_RIGHTS);
    expect((await two.delete(dn)).resultCode).toBe(INSUFFICIENT_ACCESS_RIGHTS);
    // A bound account is not its owner either.
    expect((await bob.add(`cn=pin,${dn}`, person('pin'))).resultCode).toBe(INSUFFICIENT_ACCESS_RIGHTS);
    expect((await one.add(`cn=own child,${dn}`, person('own child'))).resultCode).toBe(SUCCESS);
    expect((await two.delete(`cn=own child,${dn}`)).resultCode).toBe(INSUFFICIENT_ACCESS_RIGHTS);
    expect((await one.delete(dn)).resultCode).toBe(SUCCESS);
    expect(await one.exists(`cn=own child,${dn}`)).toBe(false);
    // And 127.0.0.2 adds in the open containers as ever.
    expect((await two.add(`cn=two,${DYNAMIC}`, person('two'))).resultCode).toBe(SUCCESS);
  });
});
