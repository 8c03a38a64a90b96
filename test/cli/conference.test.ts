/**
 * The directory commands end to end: the real CLI (from dist/, so `npm run build` first)
 * against a real `rendezvous serve` started here.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayWidth } from '../../src/cli/table.js';
import { BIN, eachLimited, runCli, type CliResult } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { freePort } from '../helpers/slapd.js';

const ALICE = 'cn=alice,ou=accounts,o=Intranet';
const BOB = 'cn=bob,ou=accounts,o=Intranet';

let server: TestServer;

/** Runs the CLI against the test server, bound as `who` (alice by default; null for anonymous). */
function cli(args: string[], options: { who?: string | null; password?: string; input?: string } = {}): Promise<CliResult> {
  const who = options.who === undefined ? ALICE : options.who;
  const bind = who === null ? [] : ['--bind-dn', who];
  const password = options.password ?? (who === BOB ? 'bob-pw' : 'alice-pw');
  return runCli([...args, '--url', server.url, ...bind], {
    env: { RENDEZVOUS_PASSWORD: password },
    ...(options.input !== undefined ? { input: options.input } : {}),
  });
}

const explain = (r: CliResult): string => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

beforeAll(async () => {
  server = await startServer({
    accounts: [
      { name: 'alice', password: 'alice-pw' },
      { name: 'bob', password: 'bob-pw' },
    ],
  });
});
afterAll(async () => {
  await server?.stop();
});

describe('publish → list → show → refresh → delete', () => {
  it('goes through the life of a conference', async () => {
    const published = await cli([
      'publish', '--name', 'weekly-sync', '--description', 'Weekly sync', '--originator', 'alice',
      '--start', '2030-11-24T14:00', '--duration', '1h', '--address', '239.1.2.3', '--scope', 'region',
      '--media', 'audio:5004:0,8', '--media', 'video:5006', '--email', 'alice@example.org', '--info-url', 'http://example.org/sync',
    ]);
    expect(published.code, explain(published)).toBe(0);
    const [dn, ...blob] = published.stdout.split('\n');
    expect(dn).toBe('uid=weekly-sync,ou=dynamic,o=Intranet');
    const sdp = blob.join('\n');
    expect(sdp).toMatch(/^v=0\r\no=alice \d+ \d+ IN IP4 \S+\r\ns=weekly-sync\r\ni=Weekly sync\r\nu=http:\/\/example.org\/sync\r\ne=alice@example.org\r\nc=IN IP4 239.1.2.3\/63\r\nt=\d+ \d+\r\nm=audio 5004 RTP\/AVP 0 8\r\nm=video 5006 RTP\/AVP 31\r\n$/);

    // Three readings of what was published, at once. TZ=UTC in runCli: the local time zone is UTC.
    const [list, json, show] = await Promise.all([
      cli(['list'], { who: null }),
      cli(['list', '--json', '--name', 'weekly*'], { who: null }),
      cli(['show', 'weekly-sync'], { who: null }),
    ]);
    expect(list.code, explain(list)).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+START\s+END\s+SCOPE\s+ORIGINATOR\s+ADDRESS$/);
    expect(lines).toContainEqual(expect.stringMatching(/^weekly-sync\s+2030-11-24 14:00:00 \+00:00\s+2030-11-24 15:00:00 \+00:00\s+region\s+alice\s+239\.1\.2\.3\/63$/));

    expect(json.code, explain(json)).toBe(0);
    const listed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ name: 'weekly-sync', dn, start: '2030-11-24T14:00:00.000Z', end: '2030-11-24T15:00:00.000Z', scope: 'region', originator: 'alice' });

    expect(show.code, explain(show)).toBe(0);
    expect(show.stdout).toMatch(/^Name\s+weekly-sync$/m);
    expect(show.stdout).toMatch(/^DN\s+uid=weekly-sync,ou=dynamic,o=Intranet$/m);
    expect(show.stdout).toMatch(/^Description\s+Weekly sync$/m);
    expect(show.stdout).toMatch(/^Media 1\s+audio port 5004 RTP\/AVP formats 0 \(PCMU\/8000\), 8 \(PCMA\/8000\)$/m);
    expect(show.stdout.endsWith(sdp)).toBe(true);

    const refresh = await cli(['refresh', 'weekly-sync', '--ttl', '600']);
    expect(refresh.code, explain(refresh)).toBe(0);
    expect(refresh.stdout).toBe(`refreshed ${dn}: TTL 600 s\n`);

    const notOwner = await cli(['delete', 'weekly-sync'], { who: BOB });
    expect(notOwner.code, explain(notOwner)).toBe(1);
    expect(notOwner.stderr).toBe(`rendezvous: ${dn}: only the entry's creator, the owner of an entry above it, or an admin may delete it\n`);

    const deleted = await cli(['delete', 'weekly-sync']);
    expect(deleted.code, explain(deleted)).toBe(0);
    expect(deleted.stdout).toBe(`deleted ${dn}\n`);
    const after = await cli(['list', '--json'], { who: null });
    expect(JSON.parse(after.stdout)).toEqual([]);

    const again = await cli(['delete', 'weekly-sync']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`rendezvous: no conference named weekly-sync (${dn})\n`);
    const missing = await cli(['show', 'weekly-sync'], { who: null });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('rendezvous: no conference named weekly-sync\n');
  });

  it('lines up its columns after CJK and emoji names, by the columns they take in a terminal', async () => {
    const names = ['会議室の予定', '🎉 party', 'plain-name', 'Réunion'];
    for (const name of names) {
      const r = await cli(['publish', '--name', name, '--start', '2030-12-01T10:00', '--duration', '1h', '--quiet']);
      expect(r.code, explain(r)).toBe(0);
    }
    const list = await cli(['list', '--from', '2030-12-01T09:00', '--to', '2030-12-01T12:00'], { who: null });
    expect(list.code, explain(list)).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines.slice(1).map((l) => names.find((n) => l.startsWith(n))).sort()).toEqual([...names].sort());
    // Where START begins, counted in terminal columns: the same on every line.
    const startColumn = (line: string): number => displayWidth(line.slice(0, line.search(/ {2}\S/) + 2));
    expect(new Set(lines.map(startColumn)).size, list.stdout).toBe(1);
    expect(startColumn(lines[0]!)).toBe(displayWidth('会議室の予定') + 2);
    for (const name of names) expect((await cli(['delete', name])).code).toBe(0);
  });

  it('filters by time: active, upcoming, from and to', async () => {
    const now = Date.now();
    const iso = (offsetMinutes: number): string => new Date(now + offsetMinutes * 60_000).toISOString();
    const calls = [['past-call', -90, -30], ['current-call', -10, 50], ['future-call', 60, 120]] as const;
    const published = await eachLimited(calls, 4, ([name, start, end]) => cli(['publish', '--name', name, '--start', iso(start), '--end', iso(end), '--quiet']));
    for (const [i, [name]] of calls.entries()) {
      expect(published[i]!.code, explain(published[i]!)).toBe(0);
      expect(published[i]!.stdout).toBe(`uid=${name},ou=dynamic,o=Intranet\n`);
    }
    const queries: Array<[string[], string[]]> = [
      [[], ['past-call', 'current-call', 'future-call']],
      [['--active'], ['current-call']],
      [['--upcoming'], ['future-call']],
      [['--from', iso(-20)], ['current-call', 'future-call']],
      [['--from', iso(-100), '--to', iso(-5)], ['past-call', 'current-call']],
    ];
    const listed = await eachLimited(queries, 4, ([flags]) => cli(['list', '--json', '--name', '*-call', ...flags], { who: null }));
    for (const [i, [flags, expected]] of queries.entries()) {
      const r = listed[i]!;
      expect(r.code, explain(r)).toBe(0);
      expect((JSON.parse(r.stdout) as Array<{ name: string }>).map((c) => c.name), flags.join(' ')).toEqual(expected);
    }
    const deleted = await eachLimited(calls, 4, ([name]) => cli(['delete', name, '-q']));
    for (const r of deleted) expect(r.code, explain(r)).toBe(0);
  });
});

describe('publish --sdp', () => {
  it('imports a file leniently and stores it strictly, with the flags applied', async () => {
    const file = join(server.dir, 'lenient.sdp');
    writeFileSync(file, 'v=0\no=- 42 7 IN IP4 host.example.org\ns=Imported session\nc=IN IP4 239.9.9.9\nt=0 0\nm=audio 5004 RTP/AVP 0\n');
    const r = await cli(['publish', '--sdp', file, '--name', 'imported', '--scope', 'site']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toBe('uid=imported,ou=dynamic,o=Intranet\nv=0\r\no=- 42 8 IN IP4 host.example.org\r\ns=Imported session\r\nc=IN IP4 239.9.9.9/15\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n');
    expect(r.stderr).toMatch(/^rendezvous: warning: .*lenient\.sdp: line 1: /m);
    expect((await cli(['delete', 'imported'])).code).toBe(0);
  });

  it('reads standard input with -', async () => {
    const sdp = 'v=0\r\no=- 1 1 IN IP4 host.example.org\r\ns=from-stdin\r\nt=0 0\r\n';
    const r = await cli(['publish', '--sdp', '-', '-q'], { input: sdp });
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toBe('uid=from-stdin,ou=dynamic,o=Intranet\n');
    expect(r.stderr).toBe('');
    expect((await cli(['delete', 'from-stdin'])).code).toBe(0);
  });

  it('refuses a file that is not SDP, with the problems, and one that cannot be stored strictly', async () => {
    const bad = join(server.dir, 'bad.sdp');
    writeFileSync(bad, 'v=0\r\no=- 1 1 IN IP4 host.example.org\r\ns=bad\r\nc=IN IP4 999.1.1.1\r\nt=0 0\r\n');
    const r = await cli(['publish', '--sdp', bad]);
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toBe(`rendezvous: ${bad}: invalid SDP: line 4: c=: address '999.1.1.1' is neither an IPv4 address nor a host name\n`);

    const noTtl = join(server.dir, 'no-ttl.sdp');
    writeFileSync(noTtl, 'v=0\r\no=- 1 1 IN IP4 host.example.org\r\ns=no-ttl\r\nc=IN IP4 239.1.1.1\r\nt=0 0\r\n');
    const s = await cli(['publish', '--sdp', noTtl, '-q']);
    expect(s.code, explain(s)).toBe(1);
    expect(s.stderr).toMatch(/^rendezvous: .*no-ttl\.sdp: cannot be stored as valid SDP: line 4: c=: .*needs a TTL.*\(--scope sets the multicast TTL\)\n$/);

    const missing = await cli(['publish', '--sdp', join(server.dir, 'absent.sdp')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*absent\.sdp: no such file/);
  });
});

describe('users', () => {
  it('registers, lists and deletes a user, addresses in dotted form', async () => {
    const r = await cli(['user', 'register', 'carol', '--ip', '10.70.41.96', '--ip', '192.168.1.2', '--phone-host', 'carol-pc.example.org', '--email', 'carol@example.org']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toBe('cn=carol]carol-pc.example.org,ou=dynamic,o=Intranet\n');
    const list = await cli(['user', 'list'], { who: null });
    expect(list.code, explain(list)).toBe(0);
    expect(list.stdout).toMatch(/^carol\s+carol-pc\.example\.org\s+10\.70\.41\.96,192\.168\.1\.2\s+carol@example\.org\s+-$/m);
    const json = JSON.parse((await cli(['user', 'list', '--json', '--name', 'car*'], { who: null })).stdout) as Array<Record<string, unknown>>;
    expect(json).toMatchObject([{ name: 'carol', ipPhonePrimary: 'carol-pc.example.org', ipAddresses: ['10.70.41.96', '192.168.1.2'] }]);
    const deleted = await cli(['user', 'delete', 'carol']);
    expect(deleted.code, explain(deleted)).toBe(0);
    expect(deleted.stdout).toBe('deleted cn=carol]carol-pc.example.org,ou=dynamic,o=Intranet\n');
  });
});

describe('--keep-alive', () => {
  /** Starts a keep-alive publish; resolves once it says it is keeping the entry alive. */
  function keepAlivePublish(name: string, extra: string[] = []): Promise<{ stop: () => Promise<{ code: number | null; stderr: string }> }> {
    const child = spawn(BIN, ['publish', '--name', name, '--keep-alive', '--url', server.url, '--bind-dn', ALICE, ...extra], {
      env: { ...process.env, TZ: 'UTC', RENDEZVOUS_PASSWORD: 'alice-pw' },
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const stop = async (): Promise<{ code: number | null; stderr: string }> => {
      child.kill('SIGTERM');
      return { code: await exited, stderr };
    };
    return new Promise((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (stderr.includes('keeping ')) resolve({ stop });
      });
      void exited.then((code) => reject(new Error(`publish --keep-alive exited early (${code}): ${stderr}`)));
    });
  }

  it('stays running until SIGTERM and then leaves the conference to expire', async () => {
    const running = await keepAlivePublish('kept-call');
    const present = await cli(['list', '--json', '--name', 'kept-call'], { who: null });
    expect(JSON.parse(present.stdout)).toHaveLength(1);
    const { code, stderr } = await running.stop();
    expect(code).toBe(0);
    expect(stderr).toContain('SIGTERM: stopped refreshing uid=kept-call,ou=dynamic,o=Intranet');
    const still = await cli(['list', '--json', '--name', 'kept-call'], { who: null });
    expect(JSON.parse(still.stdout)).toHaveLength(1);
    expect((await cli(['delete', 'kept-call'])).code).toBe(0);
  });

  it('deletes the conference on SIGTERM with --delete-on-exit', async () => {
    const running = await keepAlivePublish('withdrawn-call', ['--delete-on-exit']);
    const { code, stderr } = await running.stop();
    expect(code).toBe(0);
    expect(stderr).toContain('SIGTERM: deleted uid=withdrawn-call,ou=dynamic,o=Intranet');
    const gone = await cli(['list', '--json', '--name', 'withdrawn-call'], { who: null });
    expect(JSON.parse(gone.stdout)).toEqual([]);
  });
});

describe('failures', () => {
  it('exits 2 with one line for bad flags', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['publish', '--name', 'x', '--bogus'], /^rendezvous: unknown option '--bogus' \(see --help\)\n$/],
      [['publish', '--name', 'x', '--media', 'audio'], /^rendezvous: --media must be TYPE:PORT\[:FORMATS\]/],
      [['publish', '--name', 'x', '--scope', 'site'], /^rendezvous: --scope sets the TTL of the multicast group: add --address GROUP .*, or use --allocate/],
      [['publish', '--name', 'x', '--media', 'audio:5010:0'], /^rendezvous: --media needs a multicast group: add --address GROUP \(e\.g\. --address 239\.1\.2\.3\), or --allocate/],
      [['publish', '--name', 'x', '--scope', 'galaxy'], /^rendezvous: --scope must be one of local, site, region, world/],
      [['publish', '--name', 'x', '--address', '10.0.0.1'], /^rendezvous: --address must be an IPv4 or IPv6 multicast group/],
      [['publish', '--name', 'x', '--start', 'tomorrow'], /^rendezvous: --start must be an ISO 8601 time/],
      [['publish', '--name', 'x', '--start', '2030-01-01T10:00', '--end', '2030-01-01T09:00'], /^rendezvous: --end .* must be after --start/],
      [['publish', '--name', 'x', '--duration', '0'], /^rendezvous: --duration must be longer than zero/],
      [['publish', '--name', 'x', '--duration', '1w'], /^rendezvous: --duration: /],
      [['publish', '--name', 'x', '--ttl', '10'], /^rendezvous: --ttl must be between 300 and 31557600, not 10/],
      [['publish', '--sdp', '-', '--media', 'audio:1'], /^rendezvous: --media cannot be combined with --sdp/],
      [['publish'], /^rendezvous: give --name NAME \(or --sdp FILE\)/],
      [['refresh'], /^rendezvous: missing required argument 'name'/],
      [['user', 'register', 'dave', '--ip', '2001:db8::1'], /^rendezvous: --ip must be an IPv4 address/],
      [['user', 'register', 'dave'], /^rendezvous: required option '--ip <address>' not specified/],
      [['list', '--active', '--upcoming'], /^rendezvous: give --active or --upcoming, not both/],
    ];
    const results = await eachLimited(cases, 4, ([args]) => cli(args));
    for (const [i, [args, stderr]] of cases.entries()) {
      const r = results[i]!;
      expect(r.code, `${args.join(' ')}: ${explain(r)}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(stderr);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
    }
    const badUrl = await runCli(['list', '--url', 'http://example.org']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toBe("rendezvous: --url: 'http://example.org' is not an ldap:// or ldaps:// URL\n");
    const noPassword = await runCli(['list', '--url', server.url, '--bind-dn', ALICE], { env: { RENDEZVOUS_PASSWORD: '' } });
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toMatch(/^rendezvous: --bind-dn needs a password/);
  });

  it('exits 1 with "invalid credentials" for a wrong password', async () => {
    const r = await cli(['publish', '--name', 'x'], { password: 'wrong' });
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toBe(`rendezvous: ${ALICE}: invalid credentials\n`);
  });

  it('reads the password from --password-file', async () => {
    const file = join(server.dir, 'alice.pw');
    writeFileSync(file, 'alice-pw\n');
    const r = await runCli(['refresh', 'nothing-here', '--url', server.url, '--bind-dn', ALICE, '--password-file', file], { env: { RENDEZVOUS_PASSWORD: 'wrong' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rendezvous: no conference named nothing-here/);
  });

  it('passes on the server\'s refusal of anonymous writes', async () => {
    const r = await cli(['publish', '--name', 'anonymous-call'], { who: null });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('rendezvous: uid=anonymous-call,ou=dynamic,o=Intranet: anonymous clients cannot add entries; bind with an account first\n');
  });

  it('exits 1 with one line when the server is down', async () => {
    const port = await freePort();
    const commands = [['list'], ['publish', '--name', 'x'], ['show', 'x'], ['delete', 'x'], ['refresh', 'x'], ['user', 'list']];
    const results = await eachLimited(commands, 4, (command) => runCli([...command, '--url', `ldap://127.0.0.1:${port}`]));
    for (const [i, command] of commands.entries()) {
      const r = results[i]!;
      expect(r.code, command.join(' ')).toBe(1);
      expect(r.stderr).toBe(`rendezvous: cannot connect to ldap://127.0.0.1:${port}: connection refused\n`);
    }
  });

  it('has --help with an example on every command', async () => {
    const commands = [['publish'], ['list'], ['show'], ['delete'], ['refresh'], ['user', 'register'], ['user', 'list'], ['user', 'delete']];
    const results = await eachLimited(commands, 4, (command) => runCli([...command, '--help']));
    for (const [i, command] of commands.entries()) {
      const r = results[i]!;
      expect(r.code, command.join(' ')).toBe(0);
      expect(r.stdout, command.join(' ')).toMatch(/Examples?[^:\n]*:\n {2}\$ (?:[A-Z_]+=\S+ )?rendezvous /);
      expect(r.stdout, command.join(' ')).toContain('--url <url>');
    }
  });
});
