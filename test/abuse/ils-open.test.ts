/**
 * What anonymous clients of an `--ils-open` server leave behind (issue 22, item 12), through
 * the wire: they could add entries that never expire (static ones), and the `appName`
 * containers their registrations created stayed for ever. Now an anonymous add must be
 * dynamic (insufficientAccessRights otherwise), and an application container goes with the
 * last entry below it, deleted or expired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session, type RawAttribute } from '../helpers/abuse.js';
import { accountDn, startServer, type TestServer } from '../helpers/server.js';

const DYNAMIC = 'ou=dynamic,o=Intranet';
const APPLICATIONS = 'ou=applications,o=Intranet';
const SUCCESS = 0;
const INSUFFICIENT_ACCESS_RIGHTS = 50;

const applicationUser = (cn: string, dynamic = true): RawAttribute[] => [
  { type: 'objectClass', values: dynamic ? ['rtApplicationUser', 'dynamicObject'] : ['rtApplicationUser'] },
  { type: 'cn', values: [cn] },
];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('anonymous entries and application containers, --ils-open', () => {
  let server: TestServer;
  let anonymous: Session;
  let alice: Session;
  beforeAll(async () => {
    // A TTL of one second can be asked for, to see expiry.
    server = await startServer({ ilsOpen: true, accounts: [{ name: 'alice', password: 'alice-pw' }], args: ['--ttl-min', '1'] });
    anonymous = await Session.open(server.port);
    alice = await Session.open(server.port);
    expect((await alice.bind(accountDn('alice'), 'alice-pw')).resultCode).toBe(SUCCESS);
  });
  afterAll(async () => {
    anonymous.close();
    alice.close();
    await server.stop();
  });

  it('an anonymous client cannot add a static entry (50); a dynamic one it can; a bound account adds either', async () => {
    const r = await anonymous.add(`cn=static anon,${DYNAMIC}`, [
      { type: 'objectClass', values: ['rtPerson'] },
      { type: 'cn', values: ['static anon'] },
    ]);
    expect(r.resultCode).toBe(INSUFFICIENT_ACCESS_RIGHTS);
    expect(r.diagnosticMessage).toContain('anonymous clients may add only dynamic entries (objectClass dynamicObject)');
    expect(await anonymous.exists(`cn=static anon,${DYNAMIC}`)).toBe(false);
    expect((await anonymous.add(`cn=dynamic anon,${DYNAMIC}`, [{ type: 'objectClass', values: ['rtPerson', 'dynamicObject'] }, { type: 'cn', values: ['dynamic anon'] }])).resultCode).toBe(SUCCESS);
    expect((await alice.add(`cn=static alice,${DYNAMIC}`, [{ type: 'objectClass', values: ['rtPerson'] }, { type: 'cn', values: ['static alice'] }])).resultCode).toBe(SUCCESS);
  });

  it('an application container goes with the last registration below it deleted', async () => {
    const app = `appName=deleted app,${APPLICATIONS}`;
    expect((await anonymous.add(`cn=one,${app}`, applicationUser('one'))).resultCode).toBe(SUCCESS);
    expect((await alice.add(`cn=two,${app}`, applicationUser('two', false))).resultCode).toBe(SUCCESS);
    expect(await anonymous.exists(app)).toBe(true);
    expect((await anonymous.delete(`cn=one,${app}`)).resultCode).toBe(SUCCESS);
    expect(await anonymous.exists(app)).toBe(true); // alice's registration is still there
    expect((await alice.delete(`cn=two,${app}`)).resultCode).toBe(SUCCESS);
    expect(await anonymous.exists(app)).toBe(false);
    // The next registration creates it again.
    expect((await anonymous.add(`cn=three,${app}`, applicationUser('three'))).resultCode).toBe(SUCCESS);
    expect(await anonymous.exists(app)).toBe(true);
  });

  it('an application container goes with the last registration below it expired', async () => {
    const app = `appName=expired app,${APPLICATIONS}`;
    expect((await anonymous.add(`cn=short,${app}`, applicationUser('short'))).resultCode).toBe(SUCCESS);
    const refresh = await anonymous.modify(`cn=short,${app}`, [{ operation: 2, modification: { type: 'entryTTL', values: ['1'] } }]);
    expect(refresh.resultCode).toBe(SUCCESS);
    const deadline = Date.now() + 10_000;
    while ((await anonymous.exists(app)) && Date.now() < deadline) await sleep(200);
    expect(await anonymous.exists(app)).toBe(false);
    expect(await anonymous.exists(`cn=short,${app}`)).toBe(false);
  });
});
