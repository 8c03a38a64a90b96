/**
 * A flood of adds against the database quota (issue 22, item 12): every add past it is refused
 * with unavailable (52) and a message that says so, nothing else goes wrong, reads go on, and
 * a delete still frees room. The quota is on by default (`serve --max-db-size`, 8 GiB); this
 * probe uses a 1 MiB one.
 */
import { Client } from 'ldapts';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ldapsearch } from '../helpers/ldap-tools.js';
import { accountDn, startServer, stopAllServers } from '../helpers/server.js';

const DYNAMIC = 'ou=dynamic,o=Intranet';
const alice = { name: 'alice', password: 'alice-pw' };
const UNAVAILABLE = 52;
const FULL = 'the database is full (disk or --max-db-size); reads still work';

afterAll(() => stopAllServers());

describe('database quota', () => {
  it('is on by default', async () => {
    const help = await runCli(['serve', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('--max-db-size <megabytes> database quota: writes beyond it are refused (unavailable), reads go on (0: none) (default: 8192)');
  });

  it('refuses a flood of adds past it with unavailable (52), and goes on serving reads and deletes', async () => {
    const server = await startServer({ accounts: [alice], args: ['--max-db-size', '1'] });
    const clients = Array.from({ length: 4 }, () => new Client({ url: server.url, timeout: 20_000 }));
    try {
      const added: string[] = [];
      const refusals: Array<{ code: number; message: string }> = [];
      const flood = async (client: Client, c: number): Promise<void> => {
        await client.bind(accountDn(alice.name), alice.password);
        // Each connection adds until it has been refused five times in a row.
        for (let i = 0, refusedInARow = 0; refusedInARow < 5; i += 1) {
          const cn = `flood-${c}-${i}`;
          try {
            await client.add(`cn=${cn},${DYNAMIC}`, { objectClass: 'rtPerson', cn, comment: 'x'.repeat(4000) });
            added.push(cn);
            refusedInARow = 0;
          } catch (error) {
            refusals.push({ code: (error as { code: number }).code, message: (error as Error).message });
            refusedInARow += 1;
          }
        }
      };
      await Promise.all(clients.map(flood));
      console.log(`1 MiB quota: ${added.length} adds fit, then ${refusals.length} refusals: ${[...new Set(refusals.map((r) => `${r.code} ${r.message}`))].join(' | ')}`);
      expect(added.length).toBeGreaterThan(50);
      expect(refusals.length).toBeGreaterThanOrEqual(20);
      for (const refusal of refusals) {
        expect(refusal.code).toBe(UNAVAILABLE);
        expect(refusal.message).toContain(FULL);
      }
      // Reads go on, and see every acknowledged add.
      const read = await ldapsearch(server.url, { base: DYNAMIC, scope: 'one', filter: '(cn=flood-*)', attrs: ['1.1'], extensions: ['pr=500/noprompt'] });
      expect(read.code).toBe(0);
      expect(read.entries).toHaveLength(added.length);
      // A delete goes through, and frees room for an add of its size.
      const client = clients[0]!;
      await client.del(`cn=${added[0]},${DYNAMIC}`);
      await client.add(`cn=after-delete,${DYNAMIC}`, { objectClass: 'rtPerson', cn: 'after-delete', comment: 'x'.repeat(4000) });
    } finally {
      for (const client of clients) await client.unbind().catch(() => undefined);
      await server.stop();
    }
  }, 120_000);
});
