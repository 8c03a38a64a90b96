/**
 * `rendezvous watch` and `rendezvous list --watch` through the real CLI process, against
 * OpenLDAP slapd with syncprov: the initial content, then each change as a line (or a JSON
 * object per line) as it happens; Ctrl-C (SIGINT) cancels the search and exits 0; errors are
 * one line on stderr with a non-zero exit code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conference, Directory } from '../../src/index.js';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { freePort } from '../helpers/slapd.js';
import { startOpenLdap, startRendezvous, type Target } from '../client/targets.js';

const START = new Date('2030-05-06T07:00:00Z');
const STOP = new Date('2030-05-06T08:30:00Z');

function conference(name: string): Conference {
  return Conference.create({ name, originator: 'alice', start: START, stop: STOP, address: '239.1.2.3', media: [{ type: 'audio', port: 5004, formats: ['0'] }] });
}

const TARGETS: ReadonlyArray<readonly [string, () => Promise<Target>]> = [
  ['OpenLDAP slapd with syncprov', () => startOpenLdap({ dynamic: false, syncprov: { sessionlog: 100 }, logLevel: 'stats' })],
  ['Rendezvous', startRendezvous],
];

describe.each(TARGETS)('rendezvous watch against %s', (_name, start) => {
  let target: Target;
  let directory: Directory;
  const running: RunningCli[] = [];

  /** The CLI bound as the target's user, with the password in the environment. */
  function cli(args: string[]): RunningCli {
    const process = startCli([...args, '--url', target.url, '--bind-dn', target.user.dn], { env: { RENDEZVOUS_PASSWORD: target.user.password } });
    running.push(process);
    return process;
  }

  beforeAll(async () => {
    target = await start();
    directory = await Directory.connect(target.url);
    await directory.bind(target.user.dn, target.user.password);
  });
  afterAll(async () => {
    for (const p of running) p.kill('SIGKILL');
    await directory?.close();
    await target?.stop();
  });

  it('prints the conferences, then each change with time, kind, type, name, start and end; Ctrl-C exits 0 after cancelling', async () => {
    await directory.add(conference('cli-existing'));
    const watch = cli(['watch', '--name', 'cli-*']);
    await watch.waitFor(/up to date; following changes \(Ctrl-C to stop\)/, 'stderr');
    expect(watch.stdout()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+00:00  added     conference  cli-existing  2030-05-06 07:00:00 \+00:00  2030-05-06 08:30:00 \+00:00$/m);

    const live = conference('cli-live');
    await directory.add(live);
    await watch.waitFor(/  added     conference  cli-live  2030-05-06 07:00:00 \+00:00  2030-05-06 08:30:00 \+00:00\n/);
    live.setTimes(new Date('2030-05-07T07:00:00Z'), new Date('2030-05-07T09:00:00Z'));
    await directory.modify(live);
    await watch.waitFor(/  modified  conference  cli-live  2030-05-07 07:00:00 \+00:00  2030-05-07 09:00:00 \+00:00\n/);
    await directory.delete(live);
    await watch.waitFor(/  deleted   conference  cli-live\n/);
    await directory.add(conference('other-name'));

    watch.kill('SIGINT');
    const result = await watch.exited();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('other-name');
    // One line per change (on a dynamic server the refresh after each add is a modify too).
    const lines = result.stdout.trim().split('\n');
    expect(lines.filter((line) => !/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+00:00  (added   |modified|deleted )  conference  cli-(existing|live)(  .*)?$/.test(line))).toEqual([]);
    expect(lines.map((line) => line.split(/ {2,}/).slice(1, 4).join(' '))).toEqual(expect.arrayContaining(['added conference cli-existing', 'added conference cli-live', 'modified conference cli-live', 'deleted conference cli-live']));
    if (target.kind === 'slapd') {
      await expect.poll(() => /SEARCH RESULT tag=101 err=118/.test(target.output()), { timeout: 5000 }).toBe(true);
    }
  });

  it('--json prints one object per line, with the conference and the cookie to resume from', async () => {
    await directory.add(conference('json-existing'));
    const watch = cli(['watch', '--name', 'json-*', '--type', 'conference', '--json']);
    await watch.waitFor(/"kind":"synced"/);
    await directory.add(conference('json-live'));
    await watch.waitFor(/"name":"json-live"/);
    watch.kill('SIGINT');
    const result = await watch.exited();
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    // On a dynamic server the refresh after the add is a modify too.
    const changes = lines.filter((l) => l.kind !== 'cookie' && l.kind !== 'modified');
    expect(changes.map((l) => [l.kind, l.name])).toEqual([['added', 'json-existing'], ['synced', undefined], ['added', 'json-live']]);
    expect(changes[2]).toMatchObject({ type: 'conference', conference: { name: 'json-live', start: START.toISOString(), end: STOP.toISOString() } });
    expect(typeof changes[2]!.cookie).toBe('string');
    expect(Number.isNaN(Date.parse(String(changes[2]!.time)))).toBe(false);

    // Resuming from the last cookie printed: json-existing has not changed since, so it does not come again
    // (json-live may: on a dynamic server its refresh after the add may have come after the last line).
    const resumed = cli(['watch', '--name', 'json-*', '--json', '--cookie', String(lines.at(-1)!.cookie)]);
    await resumed.waitFor(/"kind":"synced"/);
    resumed.kill('SIGTERM');
    const again = await resumed.exited();
    expect(again.code, again.stderr).toBe(0);
    const events = again.stdout.trim().split('\n').map((line) => JSON.parse(line) as { kind: string; name?: string });
    expect(events.filter((e) => e.name === 'json-existing')).toEqual([]);
    expect(events.filter((e) => e.kind !== 'cookie').at(-1)?.kind).toBe('synced');
  });

  it('list --watch prints the table, then follows it', async () => {
    await directory.add(conference('list-existing'));
    const list = cli(['list', '--name', 'list-*', '--watch']);
    await list.waitFor(/up to date/, 'stderr');
    expect(list.stdout()).toMatch(/^NAME +START +END +SCOPE +ORIGINATOR +ADDRESS\nlist-existing +2030-05-06 07:00:00 \+00:00 +2030-05-06 08:30:00 \+00:00 /);
    await directory.add(conference('list-live'));
    await list.waitFor(/  added     conference  list-live  /);
    list.kill('SIGINT');
    expect((await list.exited()).code).toBe(0);
  });

  it('--help describes the command; a bad --type is a usage error', async () => {
    const help = await runCli(['watch', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--json');
    expect(help.stdout).toContain('--cookie');
    const bad = await runCli(['watch', '--type', 'room', '--url', target.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('rendezvous watch errors', () => {
  let plain: Target;

  beforeAll(async () => {
    plain = await startOpenLdap({ dynamic: false });
  });
  afterAll(async () => {
    await plain?.stop();
  });

  it('against a server without content synchronisation: one line, exit 1', async () => {
    const result = await runCli(['watch', '--url', plain.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^rendezvous: the server does not offer RFC 4533 content synchronisation.*\n$/);
  });

  it('when the server goes away: one line, exit 1', async () => {
    const syncing = await startOpenLdap({ dynamic: false, syncprov: {} });
    const watch = startCli(['watch', '--url', syncing.url]);
    try {
      await watch.waitFor(/up to date/, 'stderr');
      await syncing.stop();
      const result = await watch.exited();
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/\nrendezvous: (the server closed the connection of the watch|connection to the server lost: .*)\n$/);
    } finally {
      watch.kill('SIGKILL');
      await syncing.stop();
    }
  });

  it('against nothing: one line, exit 1', async () => {
    const result = await runCli(['watch', '--url', `ldap://127.0.0.1:${await freePort()}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^rendezvous: cannot connect to ldap:\/\/127\.0\.0\.1:\d+: connection refused\n$/);
  });
});
