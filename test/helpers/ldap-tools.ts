/**
 * The OpenLDAP command-line clients (Debian ldap-utils) as test peers: run with argument
 * arrays, never through a shell, with their exit code (the LDAP result code), stdout and
 * stderr captured; plus a small LDIF reader for `ldapsearch -LLL -o ldif-wrap=no` output and
 * an LDIF writer that base64-encodes every value that is not a safe string (CR LF in SDP
 * blobs, binary security descriptors, leading or trailing spaces, non-ASCII text).
 *
 *   const r = await ldapsearch(server.url, { base: 'ou=dynamic,o=Intranet', scope: 'one', filter: '(uid=*)' });
 *   expect(r.code, explain(r)).toBe(LDAP.success);
 *   r.entries[0].get('uid');   // attribute names are case-insensitive
 */
import { spawn } from 'node:child_process';

/**
 * LDAP result codes (RFC 4511 appendix A) as the tools return them as exit codes. Written out
 * from the RFC rather than imported from src/protocol: the tests check the server's codes
 * against the RFC's numbers, not against the server's own table.
 */
export const LDAP = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  timeLimitExceeded: 3,
  sizeLimitExceeded: 4,
  compareFalse: 5,
  compareTrue: 6,
  authMethodNotSupported: 7,
  strongerAuthRequired: 8,
  unavailableCriticalExtension: 12,
  confidentialityRequired: 13,
  noSuchAttribute: 16,
  undefinedAttributeType: 17,
  constraintViolation: 19,
  attributeOrValueExists: 20,
  invalidAttributeSyntax: 21,
  noSuchObject: 32,
  invalidDNSyntax: 34,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  unwillingToPerform: 53,
  namingViolation: 64,
  objectClassViolation: 65,
  notAllowedOnNonLeaf: 66,
  notAllowedOnRDN: 67,
  entryAlreadyExists: 68,
  objectClassModsProhibited: 69,
  /** Client side: "Can't contact LDAP server (-1)", i.e. the connection failed or was dropped. */
  serverDown: 255,
} as const;

export type LdapTool =
  | 'ldapsearch'
  | 'ldapadd'
  | 'ldapmodify'
  | 'ldapdelete'
  | 'ldapcompare'
  | 'ldapwhoami'
  | 'ldapexop'
  | 'ldappasswd'
  | 'ldapmodrdn';

/** A simple bind. Without one, the tools bind anonymously. */
export interface Bind {
  dn: string;
  password: string;
}

/** How a tool connects and binds. */
export interface ConnectOptions {
  /** Simple bind as this DN; anonymous when omitted. */
  auth?: Bind;
  /** `-P 2` for LDAPv2 (NetMeeting); LDAPv3 when omitted. */
  version?: 2 | 3;
  /** SASL arguments used instead of `-x` (e.g. ['-Y', 'DIGEST-MD5', '-U', 'alice', '-w', 'pw']); [] for the tool's default SASL bind. */
  sasl?: string[];
  /** `-e` request controls, e.g. '!1.2.3.4' (critical) or '1.2.3.4'. */
  controls?: string[];
  /** Kill the tool after this many ms (default 20 s). */
  timeoutMs?: number;
}

/** What a tool did. */
export interface ToolResult {
  /** The command line, for assertion messages. */
  command: string;
  /** Exit code: the LDAP result code, or 255 for a connection failure. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The server's diagnostic message (`additional info:` / `Additional information:`), '' when none. */
  info: string;
  /** The matchedDN the server returned (`matched DN:` / `Matched DN:`), undefined when none. */
  matchedDN: string | undefined;
  timedOut: boolean;
}

/** A search and the entries it printed. */
export interface SearchResult extends ToolResult {
  entries: LdifEntry[];
  /** The `# pagedresults: cookie=...` lines printed: one per page with `-E pr=N/noprompt`. */
  pages: number;
}

/** One command result as text, for `expect(x, explain(r))`. */
export function explain(r: ToolResult): string {
  return `${r.command}\nexit ${r.code}${r.signal ? ` signal ${r.signal}` : ''}${r.timedOut ? ' (timed out)' : ''}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

/** Runs one of the OpenLDAP tools with an argument array and optional standard input. */
export function runLdapTool(tool: LdapTool, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  const command = [tool, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    // LDAPNOINIT: ignore /etc/ldap/ldap.conf and ~/.ldaprc so only these arguments count.
    const child = spawn(tool, args, { env: { ...process.env, LDAPNOINIT: '1' } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 20_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${tool}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const info = /^\s*additional info(?:rmation)?: ?(.*)$/im.exec(stderr + stdout)?.[1] ?? '';
      const matched = /^\s*matched DN: ?(.*)$/im.exec(stderr + stdout)?.[1];
      resolve({ command, code, signal, stdout, stderr, info, matchedDN: matched, timedOut });
    });
    child.stdin.on('error', () => undefined); // the tool may exit before reading all input
    child.stdin.end(options.input ?? '');
  });
}

/** `-H url -x [-P 2] [-D dn -w password] [-e control]...` */
export function connectArgs(url: string, options: ConnectOptions = {}): string[] {
  const args = ['-H', url, '-o', 'nettimeout=10'];
  args.push(...(options.sasl ?? ['-x']));
  if (options.version) args.push('-P', String(options.version));
  if (options.auth) args.push('-D', options.auth.dn, '-w', options.auth.password);
  for (const control of options.controls ?? []) args.push('-e', control);
  return args;
}

export interface SearchOptions extends ConnectOptions {
  base: string;
  /** Default 'sub'. */
  scope?: 'base' | 'one' | 'sub';
  /** Default '(objectClass=*)'. */
  filter?: string;
  /** Requested attributes ('*', '+', '1.1', names in any case); none means all user attributes. */
  attrs?: string[];
  /** `-A` */
  typesOnly?: boolean;
  /** `-z` */
  sizeLimit?: number;
  /** `-l` */
  timeLimit?: number;
  /** `-E` search extensions, e.g. 'pr=2/noprompt'. */
  extensions?: string[];
  /** Any other ldapsearch arguments (placed before the filter). */
  args?: string[];
}

/** `ldapsearch -LLL -o ldif-wrap=no ...` with the printed entries parsed. */
export async function ldapsearch(url: string, options: SearchOptions): Promise<SearchResult> {
  const args = ['-LLL', '-o', 'ldif-wrap=no', ...connectArgs(url, options), '-b', options.base, '-s', options.scope ?? 'sub'];
  if (options.typesOnly) args.push('-A');
  if (options.sizeLimit !== undefined) args.push('-z', String(options.sizeLimit));
  if (options.timeLimit !== undefined) args.push('-l', String(options.timeLimit));
  for (const e of options.extensions ?? []) args.push('-E', e);
  args.push(...(options.args ?? []));
  args.push(options.filter ?? '(objectClass=*)', ...(options.attrs ?? []));
  const r = await runLdapTool('ldapsearch', args, options);
  const pages = r.stdout.split('\n').filter((l) => l.startsWith('# pagedresults:')).length;
  return { ...r, entries: parseLdif(r.stdout), pages };
}

/** `ldapadd` with LDIF records on standard input. `continueOnError` adds `-c`. */
export function ldapadd(url: string, ldif: string, options: ConnectOptions & { continueOnError?: boolean } = {}): Promise<ToolResult> {
  const args = [...connectArgs(url, options), ...(options.continueOnError ? ['-c'] : [])];
  return runLdapTool('ldapadd', args, { input: ldif, timeoutMs: options.timeoutMs });
}

/**
 * `ldapmodify` with change records on standard input, all on one connection, in order;
 * without `continueOnError` it stops at the first refusal, so exit 0 means every record succeeded.
 */
export function ldapmodify(url: string, ldif: string, options: ConnectOptions & { continueOnError?: boolean } = {}): Promise<ToolResult> {
  const args = [...connectArgs(url, options), ...(options.continueOnError ? ['-c'] : [])];
  return runLdapTool('ldapmodify', args, { input: ldif, timeoutMs: options.timeoutMs });
}

/** `ldapdelete DN...` */
export function ldapdelete(url: string, dns: string | string[], options: ConnectOptions = {}): Promise<ToolResult> {
  return runLdapTool('ldapdelete', [...connectArgs(url, options), ...[dns].flat()], options);
}

/** `ldapcompare DN attr:value` (or `attr::base64`): exit 6 compareTrue, 5 compareFalse. */
export function ldapcompare(url: string, dn: string, assertion: string, options: ConnectOptions = {}): Promise<ToolResult> {
  return runLdapTool('ldapcompare', [...connectArgs(url, options), dn, assertion], options);
}

/** `ldapwhoami`: prints `anonymous` or `dn:<authzid>`. */
export function ldapwhoami(url: string, options: ConnectOptions = {}): Promise<ToolResult> {
  return runLdapTool('ldapwhoami', connectArgs(url, options), options);
}

/** `ldapmodrdn [-r] DN NEWRDN` */
export function ldapmodrdn(
  url: string,
  dn: string,
  newRdn: string,
  options: ConnectOptions & { deleteOldRdn?: boolean; newSuperior?: string } = {},
): Promise<ToolResult> {
  const args = [...connectArgs(url, options)];
  if (options.deleteOldRdn) args.push('-r');
  if (options.newSuperior) args.push('-s', options.newSuperior);
  args.push(dn, newRdn);
  return runLdapTool('ldapmodrdn', args, options);
}

/** `ldapexop ARGS...` (e.g. ['whoami'], ['refresh', DN, '120']). */
export function ldapexop(url: string, exopArgs: string[], options: ConnectOptions = {}): Promise<ToolResult> {
  return runLdapTool('ldapexop', [...connectArgs(url, options), ...exopArgs], options);
}

/** `ldappasswd [-a old] [-s new] [user]`: RFC 3062 password modify; without `newPassword` the server generates one (printed `New password: ...`). */
export async function ldappasswd(url: string, change: { user?: string; oldPassword?: string; newPassword?: string }, options: ConnectOptions = {}): Promise<ToolResult> {
  const args = [...connectArgs(url, options)];
  if (change.oldPassword !== undefined) args.push('-a', change.oldPassword);
  if (change.newPassword !== undefined) args.push('-s', change.newPassword);
  if (change.user !== undefined) args.push(change.user);
  const r = await runLdapTool('ldappasswd', args, options);
  // ldappasswd exits 1 when the operation fails: its code is on the `Result:` line.
  const result = r.code === 1 ? /^Result: .*\((\d+)\)$/m.exec(r.stdout + r.stderr)?.[1] : undefined;
  return result === undefined ? r : { ...r, code: Number(result) };
}

// ---------------------------------------------------------------------------------------------
// LDIF
// ---------------------------------------------------------------------------------------------

/** One entry read from ldapsearch output. Attribute names are matched case-insensitively. */
export class LdifEntry {
  constructor(
    readonly dn: string,
    /** Every attribute line in order: the name as the server wrote it and the raw value. */
    readonly lines: ReadonlyArray<{ name: string; value: Buffer }>,
  ) {}

  private select(name: string): Buffer[] {
    const want = name.toLowerCase();
    return this.lines.filter((l) => l.name.toLowerCase() === want).map((l) => l.value);
  }

  /** The attribute names in the order the server sent them, each once, as written. */
  names(): string[] {
    const seen = new Map<string, string>();
    for (const l of this.lines) if (!seen.has(l.name.toLowerCase())) seen.set(l.name.toLowerCase(), l.name);
    return [...seen.values()];
  }

  /** The attribute names, lower-cased and sorted: handy for exact comparisons. */
  lowerNames(): string[] {
    return this.names()
      .map((n) => n.toLowerCase())
      .sort();
  }

  has(name: string): boolean {
    return this.select(name).length > 0;
  }

  /** Values as UTF-8 text. */
  get(name: string): string[] {
    return this.select(name).map((b) => b.toString('utf8'));
  }

  /** The only value (throws if the attribute is absent or multi-valued). */
  one(name: string): string {
    const values = this.get(name);
    if (values.length !== 1) throw new Error(`${this.dn}: expected one value of ${name}, found ${JSON.stringify(values)}`);
    return values[0]!;
  }

  /** Raw values. */
  buffers(name: string): Buffer[] {
    return this.select(name);
  }

  /** Values in base64: binary values compare byte for byte, and a mismatch prints short. */
  base64(name: string): string[] {
    return this.select(name).map((b) => b.toString('base64'));
  }
}

/** Parses LDIF content records (as printed by `ldapsearch -LLL`); comments are skipped. */
export function parseLdif(text: string): LdifEntry[] {
  // Unfold continuation lines (a line starting with one space continues the previous one).
  const physical = text.replace(/\r\n/g, '\n').split('\n');
  const logical: string[] = [];
  for (const line of physical) {
    if (line.startsWith(' ') && logical.length > 0 && logical[logical.length - 1] !== '') {
      logical[logical.length - 1] += line.slice(1);
    } else {
      logical.push(line);
    }
  }
  const entries: LdifEntry[] = [];
  let dn: string | undefined;
  let lines: Array<{ name: string; value: Buffer }> = [];
  const flush = (): void => {
    if (dn !== undefined) entries.push(new LdifEntry(dn, lines));
    dn = undefined;
    lines = [];
  };
  for (const line of logical) {
    if (line === '') {
      flush();
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([^:]+):(:|<)? ?(.*)$/.exec(line);
    if (!m) continue; // not LDIF (e.g. a stray diagnostic line)
    const [, name, kind, rest] = m as unknown as [string, string, string | undefined, string];
    const value = kind === ':' ? Buffer.from(rest, 'base64') : Buffer.from(rest, 'utf8');
    if (name.toLowerCase() === 'dn') {
      flush();
      dn = value.toString('utf8');
    } else if (dn !== undefined) {
      lines.push({ name, value });
    }
  }
  flush();
  return entries;
}

export type LdifValue = string | Buffer;
export type LdifAttributes = Record<string, LdifValue | LdifValue[]>;

/** RFC 2849 SAFE-STRING (plus no trailing space): else the value is written base64. */
function isSafe(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return value === '' || (/^[^\0\n\r :<][^\0\n\r]*$/.test(value) && !/\s$/.test(value) && /^[\x01-\x7f]*$/.test(value));
}

/** One `name: value` or `name:: base64` line. */
export function ldifLine(name: string, value: LdifValue): string {
  if (typeof value === 'string' && isSafe(value)) return `${name}: ${value}\n`;
  return `${name}:: ${Buffer.from(value).toString('base64')}\n`;
}

function attributeLines(attrs: LdifAttributes): string {
  return Object.entries(attrs)
    .flatMap(([name, v]) => [v].flat().map((value) => ldifLine(name, value)))
    .join('');
}

/** A content record (for ldapadd): `dn:` and the attributes, ending with a blank line. */
export function ldifEntry(dn: string, attrs: LdifAttributes): string {
  return `${ldifLine('dn', dn)}${attributeLines(attrs)}\n`;
}

/** An add change record (for ldapmodify). */
export function ldifAdd(dn: string, attrs: LdifAttributes): string {
  return `${ldifLine('dn', dn)}changetype: add\n${attributeLines(attrs)}\n`;
}

export interface LdifChange {
  op: 'add' | 'delete' | 'replace';
  attr: string;
  /** None: delete the whole attribute, or replace it with nothing. */
  values?: LdifValue[];
}

/** A modify change record: the changes apply together, atomically. */
export function ldifModify(dn: string, changes: LdifChange[]): string {
  const body = changes.map((c) => `${c.op}: ${c.attr}\n${(c.values ?? []).map((v) => ldifLine(c.attr, v)).join('')}-\n`).join('');
  return `${ldifLine('dn', dn)}changetype: modify\n${body}\n`;
}

/** A delete change record. */
export function ldifDelete(dn: string): string {
  return `${ldifLine('dn', dn)}changetype: delete\n\n`;
}

/** RFC 4514 escaping of one RDN value (`,+"\<>;=` and leading/trailing spaces and `#`). */
export function escapeDnValue(value: string): string {
  let v = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  if (v.startsWith(' ') || v.startsWith('#')) v = `\\${v}`;
  if (v.endsWith(' ')) v = `${v.slice(0, -1)}\\ `;
  return v;
}

/** Splits an RFC 4514 DN into [type, unescaped value] pairs (multi-valued RDNs flattened). */
export function parseDn(dn: string): Array<[string, string]> {
  const parts: Array<[string, string]> = [];
  let type = '';
  let value = '';
  let inValue = false;
  const push = (): void => {
    if (type.trim() !== '' || value !== '') parts.push([type.trim(), value.trim()]);
    type = '';
    value = '';
    inValue = false;
  };
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i]!;
    if (c === '\\' && i + 1 < dn.length) {
      const hex = /^[0-9a-fA-F]{2}/.exec(dn.slice(i + 1));
      let decoded: string;
      if (hex) {
        // a run of \XX escapes is UTF-8
        const bytes: number[] = [];
        let j = i;
        while (/^\\[0-9a-fA-F]{2}/.test(dn.slice(j))) {
          bytes.push(parseInt(dn.slice(j + 1, j + 3), 16));
          j += 3;
        }
        decoded = Buffer.from(bytes).toString('utf8');
        i = j - 1;
      } else {
        decoded = dn[i + 1]!;
        i += 1;
      }
      if (inValue) value += decoded;
      else type += decoded;
    } else if (c === '=' && !inValue) {
      inValue = true;
    } else if (c === ',' || c === ';' || c === '+') {
      push();
    } else if (inValue) {
      value += c;
    } else {
      type += c;
    }
  }
  push();
  return parts;
}

/** Case-insensitive DN comparison key: types and values lower-cased, escapes and spaces around separators normalised. */
export function dnKey(dn: string): string {
  return parseDn(dn)
    .map(([t, v]) => `${t.toLowerCase()}=${escapeDnValue(v.toLowerCase())}`)
    .join(',');
}

/** The DNs of a search's entries as comparison keys, sorted. */
export function dnKeys(entries: readonly LdifEntry[]): string[] {
  return entries.map((e) => dnKey(e.dn)).sort();
}
