/**
 * The failed-bind throttle probed as an attacker would, through the wire (issue 22, item 11):
 * wrong binds from other addresses must not delay a correct bind from a clean address (no
 * lockout); a hundred parallel connections from one address get no more guesses than the
 * documented policy allows (docs/server.md, "Failed binds"); spellings of one account share its
 * count; failed binds are logged once per source per interval with a count. Client addresses
 * are picked from 127.0.0.0/8 by binding the client socket's local address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawConnection, simpleBindRequest } from '../helpers/raw-ldap.js';
import { accountDn, startServer, stopAllServers, type TestServer } from '../helpers/server.js';

const alice = { dn: accountDn('alice'), password: 'alice-pw' };
const bob = { dn: accountDn('bob'), password: 'bob-pw' };
const accounts = [
  { name: 'alice', password: alice.password },
  { name: 'bob', password: bob.password },
];
const INVALID_CREDENTIALS = 49;

/** The documented delay after n recent failures: 250 ms doubling to 8 s. */
const delayAfter = (n: number): number => (n <= 0 ? 0 : Math.min(8000, 250 * 2 ** (n - 1)));
/**
 * Longest a correct bind that no throttle delay held back may take on a loaded machine: a
 * password check (scrypt) takes 15-30 ms alone, over 1 s with other test files' servers beside
 * it. Every delay these tests could wrongly apply to such a bind is 4 s or more, so the bound
 * still fails by seconds for one held back.
 */
const UNDELAYED_BOUND_MS = 2000;
/** Checks at once from a source without failures. */
const CLEAN_CONCURRENCY = 4;

/**
 * Most guesses one source can have answered within `ms` of its first answer, by the policy:
 * the first 4 at once, then one at a time, the next one delayAfter(n) after the n-th failure.
 */
function guessesWithin(ms: number): number {
  let guesses = CLEAN_CONCURRENCY;
  for (let at = delayAfter(guesses); at <= ms; at += delayAfter(guesses)) guesses += 1;
  return guesses;
}

afterAll(() => stopAllServers());

/** A connection from `from` that sends one bind and resolves with its result code and time. */
async function bind(server: TestServer, from: string, dn: string, password: string, timeoutMs = 20_000): Promise<{ code: number | undefined; ms: number }> {
  const connection = await RawConnection.open(server.port, '127.0.0.1', from);
  try {
    const started = performance.now();
    connection.write(simpleBindRequest(1, dn, password));
    const [response] = await connection.waitMessages(1, timeoutMs);
    return { code: response?.resultCode, ms: performance.now() - started };
  } finally {
    connection.destroy();
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe.each([1, 2])('failed-bind throttle, --workers %i', (workers) => {
  let server: TestServer;
  /** A correct bind's usual time here (a password check is deliberately slow: scrypt). */
  let normal: number;
  const baseline: number[] = [];
  beforeAll(async () => {
    server = await startServer({ accounts, args: ['--workers', String(workers)] });
    for (let i = 0; i < 3; i += 1) {
      const r = await bind(server, '127.0.0.1', alice.dn, alice.password);
      expect(r.code).toBe(0);
      baseline.push(r.ms);
    }
    normal = median(baseline);
  });
  afterAll(() => server.stop());

  it('wrong binds for alice from other addresses do not delay her correct bind from a clean address', async () => {
    const after: number[] = [];
    const during: number[] = [];
    const attacks: number[] = [];
    for (let round = 1; round <= 3; round += 1) {
      // Ten parallel wrong binds: from ten fresh addresses, or (round 2) all from one.
      const from = (i: number): string => (round === 2 ? `127.0.${round}.2` : `127.0.${round}.${2 + i}`);
      const started = performance.now();
      // (From one address, 4 are checked at once and the rest wait their turns: stop waiting
      // for them after 3 s.)
      const timeout = round === 2 ? 3000 : 20_000;
      const attack = Promise.all(Array.from({ length: 10 }, (_, i) => bind(server, from(i), alice.dn, 'guess', timeout))).then(() => performance.now() - started);
      const meanwhile = await bind(server, '127.0.0.1', alice.dn, alice.password);
      expect(meanwhile.code).toBe(0);
      during.push(meanwhile.ms);
      attacks.push(await attack);
      const next = await bind(server, '127.0.0.1', alice.dn, alice.password);
      expect(next.code).toBe(0);
      after.push(next.ms);
    }
    const fmt = (values: number[]): string => values.map((v) => `${Math.round(v)} ms`).join(', ');
    console.log(
      `--workers ${workers}: alice's correct bind from 127.0.0.1: ${fmt(baseline)} alone; ${fmt(during)} while ten wrong binds for her ran (${fmt(attacks)}); ${fmt(after)} after them`,
    );
    // No throttle delay (before the fix rounds 2 and 3 took 8 s: ten failures for the account
    // put it at the longest delay). The bound allows for the noise of a shared machine, where
    // the attack's wrong binds that round 2 stopped waiting for are still being checked beside
    // hers (399 ms seen in CI), and still fails by 6 s for an account throttled.
    for (const ms of after) expect(ms).toBeLessThan(UNDELAYED_BOUND_MS);
    // Meanwhile hers is one of eleven password checks sharing the CPU: it may take as long as
    // the attack's (the ten fresh addresses are not delayed either), but no throttle delay on
    // top, the longest of which is 8 s.
    for (const [round, ms] of during.entries()) {
      expect(ms).toBeLessThan(Math.max(attacks[round]!, normal) + normal + delayAfter(1));
      expect(ms).toBeLessThan(delayAfter(10));
    }
  }, 60_000);

  it('spellings of one account share its failure count', async () => {
    // Four addresses fail once each for bob, each spelling him differently.
    const spellings = ['cn=bob,ou=accounts,o=Intranet', 'CN= Bob ,OU=Accounts, o=intranet', 'bob', '  BOB  '];
    let firstFailed = 0;
    for (const [i, dn] of spellings.entries()) {
      expect((await bind(server, `127.0.4.${1 + i}`, dn, 'guess')).code).toBe(INVALID_CREDENTIALS);
      if (i === 0) firstFailed = performance.now();
    }
    // The first address fails once more with yet another spelling. Its own single failure
    // would hold it back 250 ms after that failure; bob's four, counted together, 2 s.
    const again = await bind(server, '127.0.4.1', 'cn=BOB,ou=accounts,o=Intranet', 'guess');
    expect(again.code).toBe(INVALID_CREDENTIALS);
    const waited = performance.now() - firstFailed;
    console.log(`--workers ${workers}: four spellings of bob failed from four addresses; the first address's next failure came ${Math.round(waited)} ms after its first`);
    expect(waited).toBeGreaterThanOrEqual(delayAfter(4) - 100);
    expect(waited).toBeLessThan(delayAfter(5));
    // An address that never failed still binds as bob (spelled as it likes) without delay: held
    // back by bob's five failures it would wait delayAfter(5) (4 s) and then be checked; the
    // bound leaves room for a loaded machine (seen: 307 ms with four test files running on two
    // cores, 1,110 ms in a clean-clone CI run).
    const clean = await bind(server, '127.0.4.100', '  Bob', bob.password);
    expect(clean.code).toBe(0);
    expect(clean.ms).toBeLessThan(UNDELAYED_BOUND_MS);
  }, 60_000);
});

describe('failed-bind throttle: one address, a hundred connections', () => {
  it('gets at most the documented number of guesses, and is logged once per interval with a count', async () => {
    const server = await startServer({ accounts });
    const from = '127.0.5.1';
    const windowMs = 12_000;
    try {
      const connections = await Promise.all(Array.from({ length: 100 }, () => RawConnection.open(server.port, '127.0.0.1', from)));
      const answers: number[] = [];
      let stop = false;
      const started = performance.now();
      const guess = async (connection: RawConnection): Promise<void> => {
        for (let id = 1; !stop; id += 1) {
          connection.write(simpleBindRequest(id, alice.dn, `guess-${id}`));
          const messages = await connection.waitUntil((m) => m.length >= id, windowMs);
          if (messages.length < id || stop) return;
          expect(messages[id - 1]!.resultCode).toBe(INVALID_CREDENTIALS);
          answers.push(performance.now() - started);
        }
      };
      const running = connections.map(guess);
      await new Promise((resolve) => setTimeout(resolve, windowMs));
      stop = true;
      for (const connection of connections) connection.destroy();
      await Promise.all(running);
      const first = Math.min(...answers);
      const allowed = guessesWithin(windowMs - first);
      console.log(`100 connections from one address guessing for ${windowMs / 1000} s: ${answers.length} answers (allowed ${allowed}) at ${answers.map((t) => `${(t / 1000).toFixed(1)} s`).join(', ')}`);
      expect(answers.length).toBeGreaterThanOrEqual(CLEAN_CONCURRENCY);
      expect(answers.length).toBeLessThanOrEqual(allowed);

      // The log: the first failure at once, the others counted into one line per 10 s.
      const lines = (): string[] => server.logs().split('\n').filter((l) => l.includes('failed bind') && l.includes(from));
      const logged = (): number => lines().reduce((sum, l) => sum + Number(/(\d+) more failed binds from/.exec(l)?.[1] ?? 1), 0);
      const deadline = Date.now() + 15_000;
      while (logged() < answers.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
      console.log(lines().join('\n'));
      expect(logged()).toBeGreaterThanOrEqual(answers.length);
      const elapsed = performance.now() - started;
      expect(lines().length).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 10_000));
      expect(lines().some((l) => /\d+ more failed binds from 127\.0\.5\.1 in the last \d+ s/.test(l))).toBe(true);
    } finally {
      await server.stop();
    }
  }, 90_000);
});
