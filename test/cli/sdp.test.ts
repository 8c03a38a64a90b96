import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { BASE, sdp } from '../sdp/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rendezvous-cli-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('rendezvous (CLI basics)', () => {
  it('prints its version and help', async () => {
    const version = await runCli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('sdp');
    const sdpHelp = await runCli(['sdp', 'check', '--help']);
    expect(sdpHelp.stdout).toContain('Example:');
  });

  it('reports usage errors as one line on stderr with exit code 2', async () => {
    for (const args of [['bogus'], ['sdp', 'check'], ['sdp', 'show', '--nope', 'x']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^rendezvous: /);
    }
  });
});

describe('rendezvous sdp check', () => {
  it('accepts a valid blob with exit code 0', async () => {
    const r = await runCli(['sdp', 'check', file('ok.sdp', sdp(...BASE))]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/ok\.sdp: valid \(0 error\(s\), 0 warning\(s\)\)\n$/);
  });

  it('prints every problem with its line and exits 1', async () => {
    const path = file('bad.sdp', sdp('v=0', 'o=alice 1 1 IN IP4 host.example.com', 's=', 'c=IN IP4 239.255.1.1', 't=123 0'));
    const r = await runCli(['sdp', 'check', path]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      `${path}: error: line 3: s=: session name must not be empty (write '-' or a single space for "none")`,
      `${path}: error: line 4: c=: IPv4 multicast address 239.255.1.1 needs a TTL (0-255), e.g. 239.255.1.1/127`,
      `${path}: error: line 5: t=: start time must be 0 or NTP seconds of at least 10 digits, found '123'`,
      `${path}: invalid (3 error(s), 0 warning(s))`,
    ]);
  });

  it('reads standard input, and --lenient turns sender quirks into warnings', async () => {
    const noTtl = sdp(...BASE).replace(/(c=IN IP4 [0-9.]+)\/\d+/, '$1');
    const strict = await runCli(['sdp', 'check', '-'], { input: noTtl });
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/<stdin>: error: line \d+: c=: IPv4 multicast address .* needs a TTL/);
    const lenient = await runCli(['sdp', 'check', '--lenient', '-'], { input: noTtl });
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/<stdin>: warning: line \d+: c=/);
  });

  it('accepts bare LF line endings with a warning, without --lenient (RFC 8866 §5)', async () => {
    const r = await runCli(['sdp', 'check', '-'], { input: BASE.join('\n') + '\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('<stdin>: warning: line 1: line ending: lines end with a bare LF');
    expect(r.stdout).toContain('<stdin>: valid (0 error(s), 1 warning(s))');
  });

  it('prints JSON with --json', async () => {
    const r = await runCli(['sdp', 'check', '--json', file('j.sdp', sdp(...BASE, 'x=1'))]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: false, errors: [{ code: 'unknown-type', line: 8, field: 'x=' }] });
  });

  it('fails with one line when the file cannot be read', async () => {
    const r = await runCli(['sdp', 'check', join(dir, 'missing.sdp')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`rendezvous: cannot read ${join(dir, 'missing.sdp')}: no such file\n`);
  });
});

describe('rendezvous sdp show', () => {
  const blob = sdp(
    'v=0',
    'o=alice 3456462469 1 IN IP4 host.example.com',
    's=Weekly Sync',
    'i=Team meeting',
    'e=alice@example.com (Alice)',
    'c=IN IP4 239.255.10.1/15',
    't=3456462448 3456464248',
    'r=7d 1h 0',
    'm=audio 49170 RTP/AVP 0 96',
    'a=rtpmap:96 opus/48000/2',
  );

  it('prints the description readably', async () => {
    const r = await runCli(['sdp', 'show', file('show.sdp', blob)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Session      Weekly Sync',
        'Description  Team meeting',
        'Originator   alice at host.example.com (session 3456462469, version 1)',
        'E-mail       alice@example.com (Alice)',
        'Connection   239.255.10.1/15 (IPv4 multicast, TTL 15, site scope)',
        'Times        2009-07-13 08:27:28 +00:00 -> 2009-07-13 08:57:28 +00:00',
        '               repeats every 7d for 1h at offset 0',
        'Active       2009-07-13 08:27:28 +00:00 -> 2009-07-13 08:57:28 +00:00',
        'Scope        site',
        'Encrypted    no',
        'Media 1      audio port 49170 RTP/AVP formats 0 (PCMU/8000), 96 (opus/48000/2)',
        '             a=rtpmap:96 opus/48000/2',
        '',
      ].join('\n'),
    );
  });

  it('prints the model with --json', async () => {
    const r = await runCli(['sdp', 'show', '--json', '-'], { input: blob });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.description.times[0].repeats[0]).toEqual({ interval: { seconds: 604800, unit: 'd' }, duration: { seconds: 3600, unit: 'h' }, offsets: [{ seconds: 0 }] });
    expect(out.summary).toMatchObject({ name: 'Weekly Sync', advertisingScope: 'site', start: '2009-07-13T08:27:28.000Z' });
  });

  it('refuses an invalid blob with its problems on stderr and exit code 1', async () => {
    const r = await runCli(['sdp', 'show', '-'], { input: sdp(...BASE.slice(0, 5)) });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('<stdin>: error: t=: at least one t= (timing) line is required\n');
  });
});
