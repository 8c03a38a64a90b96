/**
 * Starts the real `rendezvous serve` as a child process for wire tests, on 127.0.0.1 with an
 * OS-chosen port and a fresh database in a temporary directory, and stops it cleanly.
 *
 *   const server = await startServer({ accounts: [{ name: 'alice', password: 'pw' }] });
 *   afterAll(() => server.stop());
 *   ldapsearch(server.url, { base: 'o=Intranet' });
 *
 * Every server a test starts must be stopped (afterAll/afterEach). As a safety net the
 * servers still running when the test process exits are killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accountKey, hashPassword } from '../../src/directory/index.js';
import { AccountStore, openDatabase } from '../../src/store/index.js';
import { BIN, runCli, type CliResult } from './cli.js';

/** An account created with `rendezvous account add` before the server starts. */
export interface AccountSpec {
  name: string;
  password: string;
  admin?: boolean;
}

export interface ServerOptions {
  /** `--suffix`; the server's default (o=Intranet) when omitted. */
  suffix?: string;
  /** `--ils-open`: anonymous clients may register and keep their own entries. */
  ilsOpen?: boolean;
  /** Accounts to create in the database before the first start ({@link createAccounts}). */
  accounts?: AccountSpec[];
  /**
   * Further `serve` arguments. Without a `--workers` among them the server runs in one
   * process (`--workers 1`): the default, one worker per core, is for tests about workers.
   * Without an `--http` among them the web page is off (`--http off`): loading it costs each
   * start a few hundred milliseconds of CPU, and only test/http is about it.
   */
  args?: string[];
  /** Extra environment for the server process. */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the `listening on` line (default 15 s). */
  startTimeoutMs?: number;
}

/** How a server process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running (or stopped) server under test. */
export interface TestServer {
  /** `ldap://127.0.0.1:<port>` of the current run. */
  readonly url: string;
  readonly host: string;
  /** The port of the current run (a restart may get a different one). */
  readonly port: number;
  /** The temporary directory holding the database. */
  readonly dir: string;
  readonly dbPath: string;
  /** The naming context the server was started with. */
  readonly suffix: string;
  /** Process id of the current run. */
  readonly pid: number;
  /** True while the current process has not exited. */
  isRunning(): boolean;
  /** Everything the server wrote to stderr and stdout, all runs, in order. */
  logs(): string;
  /** Sends SIGTERM (or the given signal), waits for the exit and removes the temporary directory. */
  stop(signal?: NodeJS.Signals): Promise<ExitInfo>;
  /**
   * Stops and starts again on the same database (the port may change). With SIGTERM (the
   * default) the exit must be clean (code 0); SIGKILL simulates a crash.
   */
  restart(signal?: NodeJS.Signals): Promise<void>;
  /** Resolves when the current process exits (for tests that expect it to end by itself). */
  exited(): Promise<ExitInfo>;
}

export const HOST = '127.0.0.1';
export const DEFAULT_SUFFIX = 'o=Intranet';
const LISTENING = /listening on ldap:\/\/127\.0\.0\.1:(\d+)/;
const STOP_TIMEOUT_MS = 10_000;

/** Servers whose process runs. */
const live = new Set<ServerProcess>();
/** Servers whose temporary directory still exists (running or not). */
const created = new Set<ServerProcess>();
process.on('exit', () => {
  for (const server of live) server.child?.kill('SIGKILL');
  for (const server of created) rmSync(server.dir, { recursive: true, force: true });
});

/** The bind DN of an account: `cn=NAME,ou=accounts,<suffix>`. */
export function accountDn(name: string, suffix = DEFAULT_SUFFIX): string {
  return `cn=${name},ou=accounts,${suffix}`;
}

/**
 * Runs `rendezvous account ...` against a database. The password, when given, goes through
 * RENDEZVOUS_PASSWORD, as a person would pass a secret.
 */
export function accountCli(args: string[], options: { password?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...options.env };
  if (options.password !== undefined) env.RENDEZVOUS_PASSWORD = options.password;
  return runCli(['account', ...args], { env });
}

/**
 * scrypt at 1/32 of the accounts' cost (1 MiB, a few milliseconds): the server verifies with
 * the parameters stored in the hash, and at the real cost (~100 ms of CPU) the suite's
 * hundreds of password binds took a good part of its time. Accounts made with the command
 * (bind.test.ts) have the real cost.
 */
const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

/** Hashes of the passwords this test process gave accounts. */
const hashes = new Map<string, Promise<string>>();

/**
 * Creates accounts in a database file as `rendezvous account add` does (that command is
 * tested in bind.test.ts), in this process: a process per account would cost a Node start
 * each. Each password is hashed once per test file, with {@link TEST_SCRYPT}.
 */
export async function createAccounts(dbPath: string, accounts: readonly AccountSpec[]): Promise<void> {
  const rows = await Promise.all(
    accounts.map(async (account) => {
      if (!hashes.has(account.password)) hashes.set(account.password, hashPassword(account.password, TEST_SCRYPT));
      return { name: account.name, hash: await hashes.get(account.password)!, admin: account.admin === true, createdAt: Date.now() };
    }),
  );
  const db = openDatabase(dbPath);
  try {
    const store = new AccountStore(db, accountKey);
    for (const row of rows) if (!store.add(row)) throw new Error(`account ${row.name} exists already in ${dbPath}`);
  } finally {
    db.close();
  }
}

/** Starts `rendezvous serve` and resolves once it logged that it is listening. */
export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rendezvous-wire-'));
  const server = new ServerProcess(dir, options);
  try {
    if (options.accounts?.length) await createAccounts(server.dbPath, options.accounts);
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw error;
  }
  return server;
}

/**
 * Stops every server this process started that is still running, and removes the temporary
 * directories of all of them, including servers that exited by themselves.
 */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...created].map((s) => s.stop()));
}

class ServerProcess implements TestServer {
  readonly host = HOST;
  readonly dbPath: string;
  readonly suffix: string;
  child: ChildProcess | undefined;
  private currentPort = 0;
  private log = '';
  private exit: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  private running = false;
  private removed = false;

  constructor(
    readonly dir: string,
    private readonly options: ServerOptions,
  ) {
    this.dbPath = join(dir, 'r.db');
    this.suffix = options.suffix ?? DEFAULT_SUFFIX;
    created.add(this);
  }

  get url(): string {
    return `ldap://${HOST}:${this.currentPort}`;
  }

  get port(): number {
    return this.currentPort;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  isRunning(): boolean {
    return this.running;
  }

  logs(): string {
    return this.log;
  }

  exited(): Promise<ExitInfo> {
    return this.exit;
  }

  /** The `serve` arguments of every run. */
  private args(): string[] {
    const args = ['serve', '--host', HOST, '--port', '0', '--db', this.dbPath];
    if (this.options.suffix !== undefined) args.push('--suffix', this.options.suffix);
    if (this.options.ilsOpen) args.push('--ils-open');
    if (!this.options.args?.includes('--workers')) args.push('--workers', '1');
    if (!this.options.args?.includes('--http')) args.push('--http', 'off');
    // With a certificate the server also listens for LDAPS, on 1636 unless told: test files
    // run in parallel, and two such servers collided there (EADDRINUSE).
    if (this.options.args?.includes('--tls-cert') && !this.options.args.includes('--tls-port')) args.push('--tls-port', '0');
    args.push(...(this.options.args ?? []));
    return args;
  }

  async start(): Promise<void> {
    const args = this.args();
    const child = spawn(BIN, args, {
      env: { ...process.env, TZ: 'UTC', ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.running = true;
    live.add(this);
    this.log += `--- rendezvous ${args.join(' ')}\n`;
    this.exit = new Promise<ExitInfo>((resolve) => {
      child.on('exit', (code, signal) => {
        this.running = false;
        live.delete(this);
        this.log += `--- exited code=${code} signal=${signal}\n`;
        resolve({ code, signal });
      });
    });
    let stderrLine = '';
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = this.options.startTimeoutMs ?? 15_000;
      const timer = setTimeout(() => {
        fail(new Error(`rendezvous serve did not log "listening on ldap://${HOST}:<port>" within ${timeoutMs} ms. Log:\n${this.log}`));
      }, timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        reject(error);
      };
      child.on('error', (error) => fail(new Error(`cannot spawn rendezvous serve: ${error.message}`)));
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        this.log += d;
        stderrLine += d;
        const m = LISTENING.exec(stderrLine);
        if (m && this.currentPort === 0) {
          clearTimeout(timer);
          this.currentPort = Number(m[1]);
          resolve();
        }
      });
      void this.exit.then(({ code, signal }) => {
        if (this.currentPort === 0) {
          fail(new Error(`rendezvous serve exited (code ${code}, signal ${signal}) before listening. Log:\n${this.log}`));
        }
      });
    });
  }

  private async terminate(signal: NodeJS.Signals): Promise<ExitInfo> {
    if (!this.running || !this.child) return this.exit;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
    });
    const result = await Promise.race([this.exit, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exit;
      throw new Error(`rendezvous serve did not exit within ${STOP_TIMEOUT_MS} ms of ${signal}; killed. Log:\n${this.log}`);
    }
    return result;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
    try {
      return await this.terminate(signal);
    } finally {
      if (!this.removed) {
        this.removed = true;
        created.delete(this);
        rmSync(this.dir, { recursive: true, force: true });
      }
    }
  }

  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.removed) throw new Error('restart() after stop(): the database is gone');
    const exit = await this.terminate(signal);
    if (signal === 'SIGTERM' && exit.code !== 0) {
      throw new Error(`rendezvous serve exited with ${exit.code}/${exit.signal} on SIGTERM. Log:\n${this.log}`);
    }
    this.currentPort = 0;
    await this.start();
  }
}

/** Writes a file in the server's temporary directory (e.g. a password file) and returns its path. */
export function writeTempFile(server: TestServer, name: string, content: string | Buffer): string {
  const path = join(server.dir, name);
  writeFileSync(path, content);
  return path;
}
