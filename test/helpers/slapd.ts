/**
 * A private OpenLDAP slapd for tests and benchmarks: a temporary directory, a generated
 * slapd.conf (checked with slaptest first, so configuration errors come back as slaptest's
 * own message), back_mdb, a free port on 127.0.0.1, and a stop() that kills the process and
 * removes the directory. Also thin wrappers around the ldap-utils command-line tools.
 *
 * Binaries and directories default to Debian's layout and can be moved with environment
 * variables: SLAPD, SLAPTEST, SLAPD_SCHEMA_DIR, SLAPD_MODULE_DIR, LDAP_UTILS_DIR.
 *
 * slapd missing is an ERROR, not a reason to skip: {@link startSlapd} throws a message
 * saying what to install.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** slapd binary. */
export const SLAPD = process.env.SLAPD ?? '/usr/sbin/slapd';
/** slaptest binary. */
export const SLAPTEST = process.env.SLAPTEST ?? '/usr/sbin/slaptest';
/** Directory of the system schema files (core.schema, ...). */
export const SYSTEM_SCHEMA_DIR = process.env.SLAPD_SCHEMA_DIR ?? '/etc/ldap/schema';
/** Directory of slapd's loadable modules (back_mdb, dds, syncprov, ...). */
export const SLAPD_MODULE_DIR = process.env.SLAPD_MODULE_DIR ?? '/usr/lib/ldap';
/** Directory of ldapadd, ldapsearch, ldapmodify, ldapdelete. */
export const LDAP_UTILS_DIR = process.env.LDAP_UTILS_DIR ?? '/usr/bin';

/** Our schema file, loaded unchanged. */
export const RENDEZVOUS_SCHEMA = fileURLToPath(new URL('../../schema/rendezvous.schema', import.meta.url));

/** System schema files loaded by default, before ours. */
export const DEFAULT_SYSTEM_SCHEMAS: readonly string[] = ['core', 'cosine', 'inetorgperson'];

/** An overlay on the database, with its directives. */
export interface SlapdOverlay {
  /** Overlay name, e.g. `dds`, `syncprov`, `sssvlv`. Its module is loaded automatically. */
  name: string;
  /** Directives after `overlay <name>`, e.g. `dds-default-ttl 3600`. */
  config?: string[];
  /** Module to load for it (default: the overlay name; `null` for built-in overlays). */
  module?: string | null;
}

/**
 * The syncprov overlay (RFC 4533 provider, slapo-syncprov(5)): a checkpoint of the
 * contextCSN every 10 operations or minute, and a session log of `sessionlog` deletes when
 * given (without it, a consumer resuming from a cookie gets a present phase).
 */
export function syncprovOverlay(sessionlog?: number): SlapdOverlay {
  return { name: 'syncprov', config: ['syncprov-checkpoint 10 1', ...(sessionlog ? [`syncprov-sessionlog ${sessionlog}`] : [])] };
}

/** Options of {@link startSlapd}. All optional. */
export interface SlapdOptions {
  /** Database suffix (default `o=Intranet`). */
  suffix?: string;
  /** rootdn (default `cn=admin,<suffix>`). */
  rootDn?: string;
  /** rootpw in clear (default: random). */
  rootPw?: string;
  /**
   * System schema files: names in {@link SYSTEM_SCHEMA_DIR} (`core` or `core.schema`) or
   * absolute paths. Default {@link DEFAULT_SYSTEM_SCHEMAS}.
   */
  systemSchemas?: readonly string[];
  /** Schema files after the system ones (default: [{@link RENDEZVOUS_SCHEMA}]). */
  schemaFiles?: readonly string[];
  /** More schema files, after `schemaFiles`. */
  extraSchemaFiles?: readonly string[];
  /** Modules to load besides back_mdb and the overlays' modules. */
  modules?: readonly string[];
  /** Overlays on the database, in order. */
  overlays?: readonly SlapdOverlay[];
  /** `index` directives without the keyword, e.g. `objectClass eq`, `uid eq,sub`. */
  indexes?: readonly string[];
  /** `access` directives without the keyword (default: none, i.e. slapd's read for all). */
  access?: readonly string[];
  /** Global directives (before the database), e.g. `sizelimit unlimited`. */
  globalConfig?: readonly string[];
  /** Database directives (after suffix, rootdn...). */
  databaseConfig?: readonly string[];
  /** mdb maxsize in bytes (default 1 GiB; the file is sparse). */
  maxSize?: number;
  /**
   * slapd `-d` debug level (default `none`: foreground, only errors and the start banner,
   * e.g. `daemon: bind(6) failed errno=98`). `stats` logs every operation.
   */
  logLevel?: string;
  /** How long to wait for the port to answer (default 15 s). */
  startTimeoutMs?: number;
}

/** A running slapd. */
export interface Slapd {
  /** `ldap://127.0.0.1:<port>` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly suffix: string;
  readonly rootDn: string;
  readonly rootPw: string;
  /** Temporary directory holding slapd.conf and the database. */
  readonly dir: string;
  readonly configFile: string;
  readonly pid: number;
  /** What slapd has written to stdout and stderr since it last started (the last 256 KiB). */
  output(): string;
  /**
   * Stops slapd (SIGTERM, then SIGKILL) and keeps its directory and database, so that
   * {@link Slapd.resume} can start it again: a replica that goes offline and comes back.
   */
  halt(): Promise<void>;
  /** Starts a halted slapd again on the same port, configuration and database. */
  resume(): Promise<void>;
  /** Kills slapd (SIGTERM, then SIGKILL) and removes the directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Result of running a command-line tool. */
export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws a clear error unless slapd, slaptest and the ldap-utils are installed.
 * Call it in a test (not a skip condition): CI installs them, so their absence is a failure.
 */
export function assertSlapdInstalled(): void {
  const missing: string[] = [];
  if (!executable(SLAPD)) missing.push(`slapd (${SLAPD})`);
  if (!executable(SLAPTEST)) missing.push(`slaptest (${SLAPTEST})`);
  for (const tool of ['ldapadd', 'ldapsearch']) {
    if (!executable(join(LDAP_UTILS_DIR, tool))) missing.push(`${tool} (${join(LDAP_UTILS_DIR, tool)})`);
  }
  if (missing.length > 0) {
    throw new Error(
      `OpenLDAP is required for these tests but is missing: ${missing.join(', ')}. ` +
        `Install it (Debian/Ubuntu: apt-get install slapd ldap-utils) or point the SLAPD, SLAPTEST and LDAP_UTILS_DIR environment variables at the binaries.`,
    );
  }
}

/** Runs a program, collecting its output. Never rejects for a non-zero exit. */
export function run(command: string, args: readonly string[], input?: string | Buffer, timeoutMs = 30_000): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** Resolves a system schema name (`core`, `core.schema`) or path to a file path. */
export function systemSchemaPath(name: string): string {
  if (isAbsolute(name)) return name;
  return join(SYSTEM_SCHEMA_DIR, name.endsWith('.schema') ? name : `${name}.schema`);
}

/** Everything slapd.conf needs, resolved. */
export interface SlapdConfigInput {
  readonly schemaFiles: readonly string[];
  readonly modules: readonly string[];
  readonly suffix: string;
  readonly rootDn: string;
  readonly rootPw: string;
  readonly dbDir: string;
  readonly pidFile: string;
  readonly argsFile: string;
  readonly maxSize: number;
  readonly overlays: readonly SlapdOverlay[];
  readonly indexes: readonly string[];
  readonly access: readonly string[];
  readonly globalConfig: readonly string[];
  readonly databaseConfig: readonly string[];
}

const quote = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Renders a slapd.conf. */
export function slapdConfig(input: SlapdConfigInput): string {
  const lines = [
    '# generated by test/helpers/slapd.ts',
    ...input.schemaFiles.map((file) => `include ${quote(file)}`),
    `modulepath ${quote(SLAPD_MODULE_DIR)}`,
    ...input.modules.map((module) => `moduleload ${module}`),
    `pidfile ${quote(input.pidFile)}`,
    `argsfile ${quote(input.argsFile)}`,
    ...input.globalConfig,
    '',
    'database mdb',
    `suffix ${quote(input.suffix)}`,
    `rootdn ${quote(input.rootDn)}`,
    `rootpw ${quote(input.rootPw)}`,
    `directory ${quote(input.dbDir)}`,
    `maxsize ${input.maxSize}`,
    ...input.indexes.map((index) => `index ${index}`),
    ...input.access.map((rule) => `access ${rule}`),
    ...input.databaseConfig,
  ];
  for (const overlay of input.overlays) lines.push('', `overlay ${overlay.name}`, ...(overlay.config ?? []));
  return `${lines.join('\n')}\n`;
}

/** Runs `slaptest -u -f <configFile>`: exit code 0 means the configuration (schema included) loads. */
export function slaptest(configFile: string): Promise<ToolResult> {
  return run(SLAPTEST, ['-u', '-f', configFile]);
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1000, () => done(false));
  });
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** slapd processes started here and not yet stopped: killed if the test process exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts a private slapd and waits until its port answers.
 *
 * @throws Error when slapd is not installed, when slaptest rejects the configuration (with
 * slaptest's message and the generated slapd.conf), or when slapd exits or does not answer
 * in time (with its output).
 */
export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  assertSlapdInstalled();
  const suffix = options.suffix ?? 'o=Intranet';
  const rootDn = options.rootDn ?? `cn=admin,${suffix}`;
  const rootPw = options.rootPw ?? randomBytes(12).toString('hex');
  const overlays = options.overlays ?? [];
  const modules = [
    'back_mdb',
    ...overlays.flatMap((overlay) => (overlay.module === null ? [] : [overlay.module ?? overlay.name])),
    ...(options.modules ?? []),
  ].filter((module, index, all) => all.indexOf(module) === index);
  const dir = await mkdtemp(join(tmpdir(), 'rendezvous-slapd-'));
  const dbDir = join(dir, 'db');
  await mkdir(dbDir);
  const configFile = join(dir, 'slapd.conf');
  const config = slapdConfig({
    schemaFiles: [
      ...(options.systemSchemas ?? DEFAULT_SYSTEM_SCHEMAS).map(systemSchemaPath),
      ...(options.schemaFiles ?? [RENDEZVOUS_SCHEMA]),
      ...(options.extraSchemaFiles ?? []),
    ],
    modules,
    suffix,
    rootDn,
    rootPw,
    dbDir,
    pidFile: join(dir, 'slapd.pid'),
    argsFile: join(dir, 'slapd.args'),
    maxSize: options.maxSize ?? 1024 * 1024 * 1024,
    overlays,
    indexes: options.indexes ?? [],
    access: options.access ?? [],
    globalConfig: options.globalConfig ?? [],
    databaseConfig: options.databaseConfig ?? [],
  });
  await writeFile(configFile, config);
  try {
    const test = await slaptest(configFile);
    if (test.code !== 0) {
      throw new Error(`slaptest rejected the configuration (exit ${test.code}):\n${test.stderr}${test.stdout}\n--- ${configFile} ---\n${config}`);
    }
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const port = await freePort();
      try {
        return await launch({ dir, configFile, port, suffix, rootDn, rootPw, logLevel: options.logLevel ?? 'none', timeoutMs: options.startTimeoutMs ?? 15_000 });
      } catch (error) {
        lastError = error as Error;
        // Another process may have taken the port between freePort() and slapd's bind: retry.
        if (!/bind|address already in use|errno=98/i.test(lastError.message)) break;
      }
    }
    throw lastError ?? new Error('slapd did not start');
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

interface LaunchInput {
  dir: string;
  configFile: string;
  port: number;
  suffix: string;
  rootDn: string;
  rootPw: string;
  logLevel: string;
  timeoutMs: number;
}

/** One slapd process: its output, and how to end it. */
interface SlapdProcess {
  readonly child: ChildProcess;
  output(): string;
  kill(): Promise<void>;
}

/** Runs slapd in the foreground and waits until its port answers. */
async function spawnSlapd(input: LaunchInput): Promise<SlapdProcess> {
  const host = '127.0.0.1';
  const url = `ldap://${host}:${input.port}`;
  // -d keeps slapd in the foreground, so it is our child and its output is ours.
  const child = spawn(SLAPD, ['-d', input.logLevel, '-f', input.configFile, '-h', `${url}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-256 * 1024);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 5000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5000);
      }
    }
    running.delete(child);
  };

  const deadline = Date.now() + input.timeoutMs;
  for (;;) {
    if (spawnError) {
      running.delete(child);
      throw new Error(`cannot run ${SLAPD}: ${spawnError.message}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      running.delete(child);
      throw new Error(`slapd exited (${child.exitCode ?? child.signalCode}) before answering on ${url}:\n${output}`);
    }
    if (await canConnect(host, input.port)) break;
    if (Date.now() > deadline) {
      await kill();
      throw new Error(`slapd did not answer on ${url} within ${input.timeoutMs} ms:\n${output}`);
    }
    await delay(50);
  }
  return { child, output: () => output, kill };
}

async function launch(input: LaunchInput): Promise<Slapd> {
  const host = '127.0.0.1';
  let current = await spawnSlapd(input);
  let stopped: Promise<void> | undefined;
  return {
    url: `ldap://${host}:${input.port}`,
    host,
    port: input.port,
    suffix: input.suffix,
    rootDn: input.rootDn,
    rootPw: input.rootPw,
    dir: input.dir,
    configFile: input.configFile,
    get pid() {
      return current.child.pid ?? -1;
    },
    output: () => current.output(),
    halt: () => current.kill(),
    resume: async () => {
      if (stopped) throw new Error('resume() after stop(): the directory is gone');
      if (current.child.exitCode === null && current.child.signalCode === null) throw new Error('resume(): slapd is running');
      current = await spawnSlapd(input);
    },
    stop: () => {
      stopped ??= (async () => {
        await current.kill();
        await rm(input.dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** Bind options of the ldap-utils wrappers: rootdn by default, `anonymous: true` for none. */
export interface BindOptions {
  bindDn?: string;
  password?: string;
  anonymous?: boolean;
}

function bindArgs(server: Slapd, bind: BindOptions = {}): string[] {
  const args = ['-x', '-H', server.url];
  if (bind.anonymous) return args;
  return [...args, '-D', bind.bindDn ?? server.rootDn, '-w', bind.password ?? server.rootPw];
}

/** `ldapadd` (as rootdn unless told otherwise) with LDIF on stdin. `-c` continues after errors. */
export function ldapadd(server: Slapd, ldif: string, bind?: BindOptions, extraArgs: readonly string[] = []): Promise<ToolResult> {
  return run(join(LDAP_UTILS_DIR, 'ldapadd'), [...bindArgs(server, bind), ...extraArgs], ldif);
}

/** `ldapmodify` with LDIF change records on stdin. */
export function ldapmodify(server: Slapd, ldif: string, bind?: BindOptions, extraArgs: readonly string[] = []): Promise<ToolResult> {
  return run(join(LDAP_UTILS_DIR, 'ldapmodify'), [...bindArgs(server, bind), ...extraArgs], ldif);
}

/** Options of {@link ldapsearch}. */
export interface SearchOptions extends BindOptions {
  base?: string;
  scope?: 'base' | 'one' | 'sub' | 'children';
  filter?: string;
  attributes?: readonly string[];
  extraArgs?: readonly string[];
}

/** `ldapsearch -LLL -o ldif-wrap=no` (anonymous unless a bind is given). */
export function ldapsearch(server: Slapd, options: SearchOptions = {}): Promise<ToolResult> {
  const bind = options.bindDn === undefined && options.password === undefined ? { anonymous: true } : options;
  return run(join(LDAP_UTILS_DIR, 'ldapsearch'), [
    ...bindArgs(server, bind),
    '-LLL',
    '-o',
    'ldif-wrap=no',
    '-b',
    options.base ?? server.suffix,
    '-s',
    options.scope ?? 'sub',
    ...(options.extraArgs ?? []),
    options.filter ?? '(objectClass=*)',
    ...(options.attributes ?? []),
  ]);
}

/** One entry of LDIF output: its DN and attribute values (base64 values decoded to Buffers). */
export interface LdifEntry {
  readonly dn: string;
  /** Attribute description as printed, to values (text, or Buffer when printed with `::`). */
  readonly attributes: Map<string, (string | Buffer)[]>;
}

/** Parses `ldapsearch -LLL -o ldif-wrap=no` output (unfolded lines; `::` base64 values). */
export function parseLdif(text: string): LdifEntry[] {
  const entries: LdifEntry[] = [];
  for (const block of text.split(/\n{2,}/)) {
    const lines = block.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    if (lines.length === 0) continue;
    let dn = '';
    const attributes = new Map<string, (string | Buffer)[]>();
    for (const line of lines) {
      const match = /^([^:]+)(::?)\s?(.*)$/.exec(line);
      if (!match) continue;
      const [, name = '', colons, rawValue = ''] = match;
      const value: string | Buffer = colons === '::' ? Buffer.from(rawValue, 'base64') : rawValue;
      if (name.toLowerCase() === 'dn') {
        dn = typeof value === 'string' ? value : value.toString('utf8');
        continue;
      }
      const list = attributes.get(name) ?? [];
      list.push(value);
      attributes.set(name, list);
    }
    entries.push({ dn, attributes });
  }
  return entries;
}
