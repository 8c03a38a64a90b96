/**
 * The database holds the password hashes: the server creates it, its -wal and -shm files and
 * the directories above it readable by their owner only (issue 22, item 12), whatever the
 * umask (this process's, typically 022, which would leave them world-readable).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountCli, accountDn, startServer, stopAllServers } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'rendezvous-modes-'));
afterAll(async () => {
  await stopAllServers();
  rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

describe('file modes', () => {
  it('serve creates the database 0600, its -wal and -shm 0600, and the data directories 0700', async () => {
    const path = join(dir, 'var', 'data', 'r.db');
    // A running server has its -wal and -shm files open.
    const server = await startServer({ args: ['--db', path] });
    try {
      expect({ db: mode(path), wal: mode(`${path}-wal`), shm: mode(`${path}-shm`), data: mode(join(dir, 'var', 'data')), var: mode(join(dir, 'var')) }).toEqual({
        db: '600',
        wal: '600',
        shm: '600',
        data: '700',
        var: '700',
      });
    } finally {
      await server.stop();
    }
  });

  it('account add creates the database 0600 too', async () => {
    const path = join(dir, 'accounts', 'r.db');
    const r = await accountCli(['add', 'alice', '--db', path], { password: 'alice-pw' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(accountDn('alice'));
    expect(mode(path)).toBe('600');
    expect(mode(join(dir, 'accounts'))).toBe('700');
  });
});
