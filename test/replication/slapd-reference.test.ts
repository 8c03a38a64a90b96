/**
 * The replica harness against OpenLDAP's own provider (slapd with syncprov and dds): the
 * consumer configuration of test/helpers/replica.ts replicates dynamic entries, and what the
 * Rendezvous tests read from the consumer's log (the cookie a refresh starts with, a delete
 * phase with only the changed entries, a full reload) is what slapd's consumer really says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, ldapadd, ldapdelete, ldapmodify, ldifAdd, ldifModify } from '../helpers/ldap-tools.js';
import { attributeNames, parseSyncLog, startSlapdConsumer, startSlapdProvider, waitInStep, type TreeSource } from '../helpers/replica.js';
import type { Slapd } from '../helpers/slapd.js';

const SUFFIX = 'o=Intranet';
const DYNAMIC = `ou=dynamic,${SUFFIX}`;

describe('a slapd consumer of a slapd provider (the reference)', () => {
  let provider: Slapd;
  let consumer: Slapd;
  let names: Map<string, string>;
  const source = (s: Slapd): TreeSource => ({ url: s.url, base: SUFFIX, auth: { dn: s.rootDn, password: s.rootPw } });
  const admin = (): { auth: { dn: string; password: string } } => ({ auth: { dn: provider.rootDn, password: provider.rootPw } });
  const inStep = (unlike?: string) => waitInStep(source(provider), source(consumer), names, { unlike, describe: () => consumer.output().slice(-4000) });

  beforeAll(async () => {
    provider = await startSlapdProvider();
    const base = [
      ldifAdd(SUFFIX, { objectClass: 'organization', o: 'Intranet' }),
      ldifAdd(DYNAMIC, { objectClass: 'organizationalUnit', ou: 'dynamic' }),
      ...Array.from({ length: 5 }, (_, i) => ldifAdd(`cn=p${i},${DYNAMIC}`, { objectClass: ['rtPerson', 'dynamicObject'], cn: `p${i}`, ipAddress: String(1000 + i) })),
    ].join('\n');
    const added = await ldapadd(provider.url, base, admin());
    expect(added.code, explain(added)).toBe(0);
    consumer = await startSlapdConsumer({ provider: provider.url, bind: { dn: provider.rootDn, password: provider.rootPw } });
    names = await attributeNames(consumer.url);
  });
  afterAll(async () => {
    await consumer?.stop();
    await provider?.stop();
  });

  it('replicates dynamic entries (without their entryTtl) and stays in step through changes', async () => {
    const first = await inStep();
    expect(first.tree.size).toBe(7);
    expect(parseSyncLog(consumer.output()).cookies).toEqual(['rid=001']);
    const changed = await ldapmodify(provider.url, ldifModify(`cn=p1,${DYNAMIC}`, [{ op: 'replace', attr: 'comment', values: ['changed'] }]), admin());
    expect(changed.code, explain(changed)).toBe(0);
    expect((await ldapdelete(provider.url, `cn=p2,${DYNAMIC}`, admin())).code).toBe(0);
    const second = await inStep(first.csn);
    expect(second.tree.get(`cn=p1,${DYNAMIC}`)?.attributes.comment).toEqual(['changed']);
    expect(second.tree.has(`cn=p2,${DYNAMIC}`)).toBe(false);
  });

  it('resumes from its cookie after a restart: a delete phase with only what changed', async () => {
    const before = await inStep();
    await consumer.halt();
    const changes = [
      ldifModify(`cn=p3,${DYNAMIC}`, [{ op: 'replace', attr: 'comment', values: ['while away'] }]),
      ldifAdd(`cn=p9,${DYNAMIC}`, { objectClass: ['rtPerson', 'dynamicObject'], cn: 'p9' }),
    ].join('\n');
    expect((await ldapmodify(provider.url, changes, admin())).code).toBe(0);
    expect((await ldapdelete(provider.url, `cn=p4,${DYNAMIC}`, admin())).code).toBe(0);
    await consumer.resume();
    await inStep(before.csn);
    const log = parseSyncLog(consumer.output());
    expect(log.cookies[0]).toBe(`rid=001,csn=${before.csn}`);
    expect(log.entries.map((e) => e.dn).sort()).toEqual([`cn=p3,${DYNAMIC}`, `cn=p9,${DYNAMIC}`]);
    expect(log.infos).toContain('REFRESH_DELETE');
    expect(log.infos).not.toContain('REFRESH_PRESENT');
  });
});
