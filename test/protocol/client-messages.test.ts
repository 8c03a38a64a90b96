/**
 * The requests the client library encodes and the responses it decodes (src/protocol
 * requests.ts and results.ts), checked against the other side's implementation: requests
 * are read back by the server's decoder, responses are written by the server's encoders.
 */
import { describe, expect, it } from 'vitest';
import { EqualityFilter, BerWriter } from 'ldapts';
import {
  BerError,
  decodeEnvelope,
  decodeIntermediateResponse,
  decodeResult,
  decodeSearchEntry,
  encodeAbandonRequest,
  encodeExtendedRequest,
  encodeSearchRequest,
  encodeSimpleBind,
  encodeSyncRequest,
  message,
  octets,
  Op,
  SYNC_INFO_OID,
  SYNC_REQUEST_OID,
  tlv,
} from '../../src/protocol/index.js';
import { decodeRequest } from '../../src/ldap/requests.js';
import { attributeList, extendedResponseOp, resultOp, searchEntryMessage } from '../../src/ldap/responses.js';

const encodedFilter = (): Buffer => {
  const writer = new BerWriter();
  new EqualityFilter({ attribute: 'uid', value: 'weekly' }).write(writer);
  return writer.buffer;
};

describe('client requests, read by the server', () => {
  it('a search with a critical Sync Request control', () => {
    const pdu = message(7, encodeSearchRequest({ base: 'ou=dynamic,o=Intranet', scope: 'sub', filter: encodedFilter(), attributes: ['uid', 'conferenceBlob'] }), [
      { oid: SYNC_REQUEST_OID, critical: true, value: encodeSyncRequest({ mode: 'refreshAndPersist', reloadHint: false }) },
    ]);
    const envelope = decodeEnvelope(pdu);
    expect(envelope.messageId).toBe(7);
    expect(envelope.controls).toEqual([{ oid: SYNC_REQUEST_OID, critical: true, value: encodeSyncRequest({ mode: 'refreshAndPersist', reloadHint: false }) }]);
    const request = decodeRequest(envelope);
    expect(request).toMatchObject({ type: 'search', base: 'ou=dynamic,o=Intranet', sizeLimit: 0, timeLimit: 0, typesOnly: false, attributes: ['uid', 'conferenceBlob'] });
    expect(request.type === 'search' && request.filter).toMatchObject({ type: 'equality', attribute: 'uid' });
  });

  it('a simple bind, an extended request and an abandon', () => {
    expect(decodeRequest(decodeEnvelope(message(1, encodeSimpleBind('cn=alice,o=Intranet', 'pw'))))).toEqual({ type: 'bind', version: 3, name: 'cn=alice,o=Intranet', auth: { kind: 'simple', password: 'pw' } });
    expect(decodeRequest(decodeEnvelope(message(2, encodeExtendedRequest('1.3.6.1.1.8', Buffer.from([1, 2])))))).toEqual({ type: 'extended', oid: '1.3.6.1.1.8', value: Buffer.from([1, 2]) });
    expect(decodeRequest(decodeEnvelope(message(3, encodeAbandonRequest(2))))).toEqual({ type: 'abandon', messageId: 2 });
  });
});

describe('server responses, read by the client', () => {
  it('an LDAPResult and an extended response with name and value', () => {
    const done = decodeEnvelope(message(4, resultOp(Op.searchResultDone, 4096, 'refresh again', 'o=Intranet')));
    expect(decodeResult(done.pdu, done.op)).toEqual({ tag: Op.searchResultDone, code: 4096, matchedDn: 'o=Intranet', diagnostic: 'refresh again' });
    const ext = decodeEnvelope(message(5, extendedResponseOp(0, '', '1.3.6.1.1.8', Buffer.from('v'))));
    expect(decodeResult(ext.pdu, ext.op)).toMatchObject({ code: 0, name: '1.3.6.1.1.8', value: Buffer.from('v') });
  });

  it('a search entry with text and binary values', () => {
    const list = attributeList([
      { name: 'uid', values: ['weekly'], binary: false },
      { name: 'ntSecurityDescriptor', values: ['\u0001\u00ff'], binary: true },
    ]);
    const envelope = decodeEnvelope(searchEntryMessage(6, 'uid=weekly,ou=dynamic,o=Intranet', list));
    expect(decodeSearchEntry(envelope.pdu, envelope.op)).toEqual({
      dn: 'uid=weekly,ou=dynamic,o=Intranet',
      attributes: [
        { type: 'uid', values: [Buffer.from('weekly')] },
        { type: 'ntSecurityDescriptor', values: [Buffer.from([1, 0xff])] },
      ],
    });
  });

  it('an intermediate response, and bytes that are not one', () => {
    const envelope = decodeEnvelope(message(8, tlv(Op.intermediateResponse, octets(SYNC_INFO_OID, 0x80), octets(Buffer.from([0x80, 0]), 0x81))));
    expect(decodeIntermediateResponse(envelope.pdu, envelope.op)).toEqual({ name: SYNC_INFO_OID, value: Buffer.from([0x80, 0]) });
    const truncated = decodeEnvelope(message(9, tlv(Op.searchResultEntry, octets('dn'), Buffer.from([0x30, 0x05, 0x30]))));
    expect(() => decodeSearchEntry(truncated.pdu, truncated.op)).toThrow(BerError);
  });
});
