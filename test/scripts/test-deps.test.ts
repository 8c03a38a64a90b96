/**
 * scripts/test-deps.sh, the set-up `npm test` and .ci/run share: silent when every package
 * is there; one line naming the missing packages and the command to install them when it
 * may not install; as root, `apt-get update` once and a quiet `apt-get install` of exactly
 * what is missing, with no system slapd started. Nothing is uninstalled: the tools are hidden
 * (an empty PATH, a SASL plugin path and slapd path that hold nothing, Python modules that
 * refuse to import) and apt-get is a stub that records how it was called.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/test-deps.sh', import.meta.url));
const IS_ROOT = process.getuid?.() === 0;
const ALL = ['ldap-utils', 'libsasl2-modules', 'slapd', 'python3-ldap3', 'python3-ldap', 'openssl', 'iproute2', 'chromium', 'python3-icalendar'];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rendezvous-test-deps-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes an executable shell script. */
function executable(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/**
 * An environment in which `hide` (package names) look missing: PATH is a directory holding
 * only `bin` (stubs, links), and the script's other probes point at nothing.
 */
function environment(hide: string[], bin: Record<string, string> = {}, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const path = join(dir, 'bin');
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path);
  const link = (name: string): void => {
    const found = spawnSync('/bin/sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (found) symlinkSync(found, join(path, name));
  };
  if (!hide.includes('ldap-utils')) for (const tool of ['ldapsearch', 'ldapadd', 'ldapmodify', 'ldapdelete', 'ldapmodrdn', 'ldapcompare', 'ldapexop', 'ldapwhoami']) link(tool);
  if (!hide.includes('openssl')) link('openssl');
  for (const tool of ['chmod', 'rm']) link(tool);
  for (const [name, body] of Object.entries(bin)) executable(join(path, name), body);
  // A module of the same name first on Python's path that refuses to load.
  const python = join(dir, 'python');
  rmSync(python, { recursive: true, force: true });
  mkdirSync(python);
  if (hide.includes('python3-ldap3')) writeFileSync(join(python, 'ldap3.py'), 'raise ImportError("hidden by the test")\n');
  if (hide.includes('python3-ldap')) writeFileSync(join(python, 'ldap.py'), 'raise ImportError("hidden by the test")\n');
  if (hide.includes('python3-icalendar')) writeFileSync(join(python, 'icalendar.py'), 'raise ImportError("hidden by the test")\n');
  return {
    PATH: path,
    PYTHONPATH: python,
    POLICY_RC_D: join(dir, 'policy-rc.d'),
    ...(hide.includes('libsasl2-modules') ? { SASL_PATH: join(dir, 'no-sasl-plugins') } : {}),
    ...(hide.includes('slapd') ? { SLAPD: join(dir, 'sbin/slapd'), SLAPTEST: join(dir, 'sbin/slaptest') } : {}),
    ...(hide.includes('iproute2') ? { IP: join(dir, 'sbin/ip') } : {}),
    ...(hide.includes('chromium') ? { CHROMIUM: join(dir, 'bin/chromium') } : {}),
    ...extra,
  };
}

/** Runs the script with `env` only, under `prefix` (a command that runs the rest as another user). */
function run(env: NodeJS.ProcessEnv, prefix: string[] = []): { code: number | null; stdout: string; stderr: string } {
  const [command, ...args] = [...prefix, '/bin/bash', SCRIPT];
  const r = spawnSync(command!, args, { env, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The stderr lines, without the empty string after the last newline. */
const lines = (text: string): string[] => text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);

/** An apt-get that appends its arguments and what it saw to `calls`, and runs `install` for `install`. */
function aptGet(calls: string, install = ''): string {
  return [
    `echo "$* | DEBIAN_FRONTEND=$DEBIAN_FRONTEND | policy: $(/usr/bin/tail -n 1 "$POLICY_RC_D" 2>/dev/null)" >> ${calls}`,
    `[ "$1" = install ] && { ${install || ':'}; }`,
    'exit 0',
  ].join('\n');
}

describe('scripts/test-deps.sh', () => {
  it('says nothing and exits 0 when every package is there (this machine runs the suite)', () => {
    const r = run({ PATH: process.env.PATH });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('hides each package in turn and names exactly that one', () => {
    for (const name of ALL) {
      const r = run(environment([name], {}, { RENDEZVOUS_TEST_DEPS: 'check' }));
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toContain(`the tests need these Debian packages: ${name} (`);
    }
  });

  it('without leave to install, stops with one line naming every missing package and the command, before anything runs', () => {
    const calls = join(dir, 'calls');
    const r = run(environment(ALL, { 'apt-get': aptGet(calls) }, { RENDEZVOUS_TEST_DEPS: 'check' }));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual([
      `test-deps: the tests need these Debian packages: ${ALL.join(' ')} (missing); install them with: sudo apt-get install --no-install-recommends ${ALL.join(' ')} (or run: sudo ${SCRIPT})`,
    ]);
    expect(existsSync(calls), 'apt-get must not run').toBe(false);
  });

  it('as a user other than root, with the mode unset, the same one line and no apt-get', () => {
    // Run as nobody when the suite runs as root: the script asks the kernel who it is.
    chmodSync(dir, 0o755);
    const calls = join(dir, 'calls');
    const env = environment(['openssl'], { 'apt-get': aptGet(calls) });
    const r = IS_ROOT ? run(env, ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']) : run(env);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `test-deps: the tests need these Debian packages: openssl (missing; not root, so not installed); install them with: sudo apt-get install --no-install-recommends openssl (or run: sudo ${SCRIPT})`,
    ]);
    expect(existsSync(calls), 'apt-get must not run').toBe(false);
  });

  it('installs what is missing: apt-get update once, then install -y --no-install-recommends without questions, and no slapd started', () => {
    const calls = join(dir, 'calls');
    const updateRcD = join(dir, 'update-rc.d.calls');
    // The stub "installs" slapd by creating the two programs the script looks for, and
    // python3-ldap3 by removing the module that hid it.
    const sbin = join(dir, 'sbin');
    const install = `/bin/mkdir -p ${sbin}; for p in slapd slaptest; do printf '#!/bin/sh\\n' > ${sbin}/$p; /bin/chmod 755 ${sbin}/$p; done; /bin/rm ${dir}/python/ldap3.py`;
    // As root the mode may stay unset (installing is the default); otherwise it is asked for.
    const env = environment(['slapd', 'python3-ldap3'], { 'apt-get': aptGet(calls, install), 'update-rc.d': `echo "$*" >> ${updateRcD}` }, IS_ROOT ? {} : { RENDEZVOUS_TEST_DEPS: 'install' });
    const r = run(env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual(['test-deps: installing slapd python3-ldap3']);
    expect(lines(readFileSync(calls, 'utf8'))).toEqual([
      'update -qq | DEBIAN_FRONTEND=noninteractive | policy: exit 101',
      'install -y -qq --no-install-recommends slapd python3-ldap3 | DEBIAN_FRONTEND=noninteractive | policy: exit 101',
    ]);
    // The refusing policy was the script's own: gone afterwards, and slapd kept off at boot.
    expect(existsSync(env.POLICY_RC_D!)).toBe(false);
    expect(lines(readFileSync(updateRcD, 'utf8'))).toEqual(['slapd disable']);
  });

  it("leaves the machine's own invoke-rc.d policy alone, and installs without slapd when it is there", () => {
    const calls = join(dir, 'calls');
    const updateRcD = join(dir, 'update-rc.d.calls');
    const env = environment(['slapd'], { 'apt-get': aptGet(calls), 'update-rc.d': `echo "$*" >> ${updateRcD}` }, { RENDEZVOUS_TEST_DEPS: 'install' });
    writeFileSync(env.POLICY_RC_D!, '#!/bin/sh\nexit 0\n');
    const r = run(env);
    expect(readFileSync(env.POLICY_RC_D!, 'utf8')).toBe('#!/bin/sh\nexit 0\n');
    expect(existsSync(updateRcD)).toBe(false);
    expect(lines(readFileSync(calls, 'utf8'))[1]).toBe('install -y -qq --no-install-recommends slapd | DEBIAN_FRONTEND=noninteractive | policy: exit 0');
    // The stub installed nothing: the script says so in one line and fails.
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      'test-deps: installing slapd',
      `test-deps: the tests need these Debian packages: slapd (still missing after apt-get install); install them with: sudo apt-get install --no-install-recommends slapd (or run: sudo ${SCRIPT})`,
    ]);

    // Without slapd to install, no policy is written.
    rmSync(env.POLICY_RC_D!);
    const python = run(environment(['python3-ldap3'], { 'apt-get': aptGet(calls) }, { RENDEZVOUS_TEST_DEPS: 'install' }));
    expect(python.code).toBe(1);
    expect(lines(readFileSync(calls, 'utf8')).at(-1)).toMatch(/^install -y -qq --no-install-recommends python3-ldap3 \| DEBIAN_FRONTEND=noninteractive \| policy: $/);
  });

  it('stops with one line when apt-get fails, and removes its policy', () => {
    const env = environment(['slapd'], { 'apt-get': 'exit 100', 'update-rc.d': ':' }, { RENDEZVOUS_TEST_DEPS: 'install' });
    const r = run(env);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      'test-deps: installing slapd',
      `test-deps: the tests need these Debian packages: slapd (apt-get failed with exit 100); install them with: sudo apt-get install --no-install-recommends slapd (or run: sudo ${SCRIPT})`,
    ]);
    expect(existsSync(env.POLICY_RC_D!)).toBe(false);
  });

  it('without apt-get, says so in one line', () => {
    const r = run(environment(['openssl'], {}, { RENDEZVOUS_TEST_DEPS: 'install' }));
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `test-deps: the tests need these Debian packages: openssl (missing; no apt-get here); install them with: sudo apt-get install --no-install-recommends openssl (or run: sudo ${SCRIPT})`,
    ]);
  });
});
