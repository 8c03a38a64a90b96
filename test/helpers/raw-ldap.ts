/**
 * Raw TCP access to the server for what no well-behaved client sends: garbage, truncated or
 * malformed PDUs, and hand-built BER requests whose exact bytes matter. A minimal BER
 * reader decodes the LDAPResult of the responses.
 */
import { Socket, connect } from 'node:net';

/** A TCP connection that records what the server sends and whether it closed the connection. */
export class RawConnection {
  private received: Buffer[] = [];
  private closedAt: number | undefined;
  private readonly closed: Promise<void>;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.received.push(d);
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.closedAt = Date.now();
        this.wake();
        resolve();
      });
    });
    socket.on('error', () => undefined); // ECONNRESET from the server counts as closed
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Connects to 127.0.0.1:port; from `localAddress` when given (any 127.x address: the server
   * then sees another client address, for tests of per-address limits).
   */
  static open(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, ...(localAddress ? { localAddress } : {}) }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer | Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Everything received so far. */
  data(): Buffer {
    return Buffer.concat(this.received);
  }

  isClosed(): boolean {
    return this.closedAt !== undefined;
  }

  /** Resolves true when the server closed the connection within `ms`, false otherwise. */
  async waitClosed(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const result = await Promise.race([this.closed.then(() => true as const), timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Waits until `count` complete LDAPMessages arrived (or the connection closed, or `ms` passed). */
  waitMessages(count: number, ms = 5_000): Promise<LdapMessage[]> {
    return this.waitUntil((messages) => messages.length >= count, ms);
  }

  /** Waits until the messages received satisfy `done` (or the connection closed, or `ms` passed); returns them all. */
  async waitUntil(done: (messages: LdapMessage[]) => boolean, ms = 5_000): Promise<LdapMessage[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const messages = decodeMessages(this.data()).messages;
      if (done(messages) || this.isClosed() || Date.now() >= deadline) return messages;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Closes from our side. */
  destroy(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// BER
// ---------------------------------------------------------------------------------------------

/** BER definite length octets. */
function berLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV. */
export function tlv(tag: number, content: Buffer | Uint8Array | number[]): Buffer {
  const c = Buffer.from(content as Uint8Array);
  return Buffer.concat([Buffer.from([tag]), berLength(c.length), c]);
}

/** BER INTEGER (non-negative, small). */
export function berInteger(n: number, tag = 0x02): Buffer {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(tag, bytes);
}

export function berString(s: string | Buffer, tag = 0x04): Buffer {
  return tlv(tag, typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
}

/** LDAPMessage ::= SEQUENCE { messageID, protocolOp, controls [0] OPTIONAL } */
export function ldapMessage(id: number, protocolOp: Buffer, controls?: Buffer): Buffer {
  return tlv(0x30, Buffer.concat([berInteger(id), protocolOp, ...(controls ? [controls] : [])]));
}

/** BindRequest [APPLICATION 0] { version, name, simple [0] password } */
export function simpleBindRequest(id: number, dn = '', password = '', version = 3): Buffer {
  return ldapMessage(id, tlv(0x60, Buffer.concat([berInteger(version), berString(dn), berString(password, 0x80)])));
}

/**
 * SearchRequest [APPLICATION 3] with a present filter `(attr=*)`: scope 0 base, 1 one, 2 sub.
 */
export function searchRequest(id: number, base: string, scope: 0 | 1 | 2, presentAttr = 'objectClass', attributes: string[] = []): Buffer {
  const body = Buffer.concat([
    berString(base), // baseObject
    berInteger(scope, 0x0a), // scope
    berInteger(0, 0x0a), // derefAliases never
    berInteger(0), // sizeLimit
    berInteger(0), // timeLimit
    tlv(0x01, [0x00]), // typesOnly FALSE
    berString(presentAttr, 0x87), // present filter
    tlv(0x30, Buffer.concat(attributes.map((a) => berString(a)))), // attributes
  ]);
  return ldapMessage(id, tlv(0x63, body));
}

/** A base-scope search of the root DSE for one attribute. */
export function rootDseSearchRequest(id: number, attribute = 'namingContexts'): Buffer {
  return searchRequest(id, '', 0, 'objectClass', [attribute]);
}

/** AbandonRequest [APPLICATION 16] MessageID */
export function abandonRequest(id: number, abandonId: number): Buffer {
  return ldapMessage(id, berInteger(abandonId, 0x50));
}

/** UnbindRequest [APPLICATION 2] NULL */
export function unbindRequest(id: number): Buffer {
  return ldapMessage(id, Buffer.from([0x42, 0x00]));
}

/** A decoded LDAPMessage: its id, protocolOp tag and, for LDAPResult-shaped responses, the result. */
export interface LdapMessage {
  id: number;
  /** e.g. 0x61 BindResponse, 0x64 SearchResultEntry, 0x65 SearchResultDone, 0x78 ExtendedResponse. */
  tag: number;
  /** The raw protocolOp content. */
  body: Buffer;
  resultCode?: number;
  matchedDN?: string;
  diagnosticMessage?: string;
}

interface Tlv {
  tag: number;
  content: Buffer;
  end: number;
}

function readTlv(buf: Buffer, offset: number): Tlv | undefined {
  if (offset + 2 > buf.length) return undefined;
  const tag = buf[offset]!;
  let len = buf[offset + 1]!;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || pos + n > buf.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    pos += n;
  }
  if (pos + len > buf.length) return undefined;
  return { tag, content: buf.subarray(pos, pos + len), end: pos + len };
}

function readInteger(content: Buffer): number {
  let v = 0;
  for (const b of content) v = v * 256 + b;
  return v;
}

/** Decodes the complete LDAPMessages at the start of `buf`; `rest` is what is left over. */
export function decodeMessages(buf: Buffer): { messages: LdapMessage[]; rest: Buffer } {
  const messages: LdapMessage[] = [];
  let offset = 0;
  for (;;) {
    const message = readTlv(buf, offset);
    if (!message || message.tag !== 0x30) break;
    const id = readTlv(message.content, 0);
    const op = id ? readTlv(message.content, id.end) : undefined;
    if (!id || !op) break;
    const decoded: LdapMessage = { id: readInteger(id.content), tag: op.tag, body: op.content };
    // LDAPResult-shaped responses: resultCode ENUMERATED, matchedDN, diagnosticMessage.
    if ([0x61, 0x65, 0x67, 0x69, 0x6b, 0x6d, 0x6f, 0x78].includes(op.tag)) {
      const code = readTlv(op.content, 0);
      const matched = code ? readTlv(op.content, code.end) : undefined;
      const diag = matched ? readTlv(op.content, matched.end) : undefined;
      if (code?.tag === 0x0a) decoded.resultCode = readInteger(code.content);
      if (matched) decoded.matchedDN = matched.content.toString('utf8');
      if (diag) decoded.diagnosticMessage = diag.content.toString('utf8');
    }
    messages.push(decoded);
    offset = message.end;
  }
  return { messages, rest: buf.subarray(offset) };
}

/** The OID of the Notice of Disconnection (RFC 4511 4.4.1), sent as an unsolicited ExtendedResponse with id 0. */
export const NOTICE_OF_DISCONNECTION = '1.3.6.1.4.1.1466.20036';

/** Deterministic pseudo-random bytes (xorshift32), so a failure can be reproduced. */
export function pseudoRandomBytes(length: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
