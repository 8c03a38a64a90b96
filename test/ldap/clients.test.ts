/**
 * Python clients against the server: python3-ldap3 with get_info=ALL and default name
 * checking (reads the root DSE and the schema, lists conferences as a browser does, paged
 * search), and python-ldap (simple bind, search with binary values, whoami, paged results,
 * error codes). The scripts are in fixtures/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnKey, explain, ldapadd, LDAP } from '../helpers/ldap-tools.js';
import { explainPython, runPython } from '../helpers/python.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  ALICE,
  ALICE_PERSON,
  CONFERENCES,
  SECURITY_DESCRIPTOR,
  WEEKLY_SYNC,
  bindAs,
  conferenceBlob,
  conferenceDn,
  conferenceLdif,
  generalizedTime,
  personDn,
  sampleDirectoryDns,
  sampleDirectoryLdif,
} from './fixtures/directory.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ accounts: [ALICE] });
  const r = await ldapadd(server.url, sampleDirectoryLdif(), { auth: bindAs(ALICE) });
  expect(r.code, explain(r)).toBe(LDAP.success);
  const sd = await ldapadd(server.url, conferenceLdif({ ...WEEKLY_SYNC, uid: 'With SD' }, { ntSecurityDescriptor: SECURITY_DESCRIPTOR }), { auth: bindAs(ALICE) });
  expect(sd.code, explain(sd)).toBe(LDAP.success);
});
afterAll(() => server.stop());

interface SchemaAttr {
  oid: string;
  syntax: string;
  single_value: boolean;
  names: string[];
  description: string | null;
}
interface Ldap3View {
  bound: boolean;
  info: {
    naming_contexts: string[];
    supported_ldap_versions: string[];
    supported_controls: string[];
    supported_extensions: string[];
    supported_features: string[];
    vendor_name: string[];
    vendor_version: string[];
    schema_entry: string[] | string;
  } | null;
  schema: {
    object_class_count: number;
    attribute_type_count: number;
    classes: Record<string, { must: string[]; may: string[]; oid: string } | null>;
    attributes: Record<string, SchemaAttr | null>;
  } | null;
  conferences: {
    result: number;
    entries: Array<{ dn: string; uid: string[]; startTime: string[]; startTimeParsed: string; conferenceBlob: string[] }>;
  };
  wire_names: { result: number; dns: string[] };
  paged: { result: number; dns: string[] };
}

describe('python3-ldap3 (get_info=ALL, check_names=True)', () => {
  let view: Ldap3View;
  beforeAll(async () => {
    const r = await runPython<Ldap3View>('ldap3_browse.py', [server.url]);
    expect(r.code, explainPython(r)).toBe(0);
    view = r.json!;
  });

  it('binds and reads the root DSE into server.info', () => {
    expect(view.bound).toBe(true);
    expect(view.info).not.toBeNull();
    expect(view.info!.naming_contexts.map(dnKey)).toEqual(['o=intranet']);
    expect(view.info!.supported_ldap_versions).toContain('3');
    expect(view.info!.supported_controls).toContain('1.2.840.113556.1.4.319');
    expect(view.info!.supported_extensions).toContain('1.3.6.1.4.1.4203.1.11.3');
    expect(view.info!.supported_features).toContain('1.3.6.1.4.1.4203.1.5.1');
    expect(view.info!.vendor_name.length).toBe(1);
    expect(view.info!.vendor_version.length).toBe(1);
    expect([view.info!.schema_entry].flat().map(dnKey)).toEqual(['cn=subschema']);
  });

  it('parses the schema into server.schema: the ILS classes, RFC 2589, the wire aliases', () => {
    const schema = view.schema!;
    expect(schema).not.toBeNull();
    expect(schema.object_class_count).toBeGreaterThan(10);
    expect(schema.attribute_type_count).toBeGreaterThan(50);
    expect(schema.classes.rtConference?.must).toEqual(['uid']);
    expect(schema.classes.rtConference?.may).toEqual(expect.arrayContaining(['conferenceBlob', 'protocolID', 'startTime', 'ntSecurityDescriptor', 'cn']));
    expect(schema.classes.rtPerson?.must).toEqual(['cn']);
    expect(schema.classes.rtApplicationUser?.must).toEqual(['cn']);
    expect(schema.classes.dynamicObject?.oid).toBe('1.3.6.1.4.1.1466.101.119.2');
    expect(schema.attributes.conferenceBlob).toMatchObject({ single_value: true, syntax: '1.3.6.1.4.1.1466.115.121.1.15' });
    expect(schema.attributes.startTime).toMatchObject({ syntax: '1.3.6.1.4.1.1466.115.121.1.24' });
    expect(schema.attributes.entryTtl).toMatchObject({ oid: '1.3.6.1.4.1.1466.101.119.3' });
    // The whole description: ldap3 ends it at a keyword such as NO-USER-MODIFICATION inside the quotes.
    expect(schema.attributes.entryTtl?.description).toMatch(/^This operational attribute is maintained by the server .* only a refresh changes its value\.$/);
    // Binary, as [MS-TAIL] 2.3.4 gives it (not Octet String).
    expect(schema.attributes.ntSecurityDescriptor).toMatchObject({ syntax: '1.3.6.1.4.1.1466.115.121.1.5', single_value: true });
    // protocolGUID is an rtApplicationUser attribute only ([MS-TAIL] 2.3.1-2.3.2).
    expect(schema.classes.rtPerson?.may).not.toContain('protocolGUID');
    expect(schema.classes.rtApplicationUser?.may).toContain('protocolGUID');
    expect(schema.attributes.sProtID?.names).toEqual(['protocolID', 'sProtID']);
    expect(schema.attributes.hasSubordinates).not.toBeNull();
    expect(schema.attributes.entryUUID).not.toBeNull();
  });

  it("lists conferences as a browser does: conn.search(..., attributes=['uid','startTime','conferenceBlob'])", () => {
    expect(view.conferences.result).toBe(0);
    const byDn = new Map(view.conferences.entries.map((e) => [dnKey(e.dn), e]));
    expect([...byDn.keys()].sort()).toEqual([...CONFERENCES.map((c) => conferenceDn(c.uid)), conferenceDn('With SD')].map(dnKey).sort());
    const weekly = byDn.get(dnKey(conferenceDn(WEEKLY_SYNC.uid)))!;
    expect(weekly.uid).toEqual([WEEKLY_SYNC.uid]);
    expect(weekly.startTime).toEqual([generalizedTime(WEEKLY_SYNC.start)]);
    expect(weekly.startTimeParsed).toBe(`${WEEKLY_SYNC.start.slice(0, 10)} ${WEEKLY_SYNC.start.slice(11, 19)}+00:00`); // ldap3 parsed the generalizedTime
    expect(weekly.conferenceBlob).toEqual([conferenceBlob(WEEKLY_SYNC)]);
  });

  it('accepts the ILS wire names and entryTtl in filters and attribute lists', () => {
    expect(view.wire_names.result).toBe(0);
    expect(view.wire_names.dns.map(dnKey)).toEqual([dnKey(personDn(ALICE_PERSON.cn))]);
  });

  it('pages through the whole tree with extend.standard.paged_search', () => {
    expect(view.paged.result).toBe(0);
    expect(view.paged.dns.map(dnKey).sort()).toEqual([...sampleDirectoryDns(), conferenceDn('With SD')].map(dnKey).sort());
  });
});

interface PythonLdapView {
  whoami: string;
  conferences: Record<string, Record<string, string[]>>;
  paged: { dns: string[]; pages: number };
  missing: { result: number; matched: string } | null;
  wrong_password: { result: number } | null;
}

describe('python-ldap', () => {
  it('anonymous: search with CRLF and binary values intact, paged results, noSuchObject with matchedDN, invalidCredentials', async () => {
    const r = await runPython<PythonLdapView>('python_ldap_client.py', [server.url]);
    expect(r.code, explainPython(r)).toBe(0);
    const view = r.json!;
    expect(view.whoami).toBe('');
    const conferences = new Map(Object.entries(view.conferences).map(([dn, attrs]) => [dnKey(dn), attrs]));
    const withSd = conferences.get(dnKey(conferenceDn('With SD')))!;
    expect(withSd.ntSecurityDescriptor).toEqual([SECURITY_DESCRIPTOR.toString('base64')]);
    expect(withSd.conferenceBlob).toEqual([Buffer.from(conferenceBlob({ ...WEEKLY_SYNC, uid: 'With SD' })).toString('base64')]);
    expect(withSd.startTime).toEqual([Buffer.from(generalizedTime(WEEKLY_SYNC.start)).toString('base64')]);
    const all = [...sampleDirectoryDns(), conferenceDn('With SD')];
    expect(view.paged.dns.map(dnKey).sort()).toEqual(all.map(dnKey).sort());
    expect(view.paged.pages).toBeGreaterThanOrEqual(Math.ceil(all.length / 2));
    expect(view.missing).toEqual({ result: 32, matched: expect.stringMatching(/^ou=dynamic,o=intranet$/i) });
    expect(view.wrong_password).toEqual({ result: 49 });
  });

  it('bound: whoami names the account', async () => {
    const r = await runPython<PythonLdapView>('python_ldap_client.py', [server.url, bindAs(ALICE).dn, ALICE.password]);
    expect(r.code, explainPython(r)).toBe(0);
    expect(r.json!.whoami.toLowerCase()).toMatch(/^dn:cn=alice,ou=accounts,o=intranet$/);
  });
});
