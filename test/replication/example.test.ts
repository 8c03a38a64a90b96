/**
 * examples/replicas/run.sh stays runnable: it starts Rendezvous and two slapd replicas on
 * free ports, publishes, changes and deletes a conference, and every step shows the three
 * servers in step.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/slapd.js';

const SCRIPT = fileURLToPath(new URL('../../examples/replicas/run.sh', import.meta.url));

function runScript(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [SCRIPT], { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('examples/replicas/run.sh', () => {
  it('runs a writer and two replicas and shows them in step at every step', async () => {
    const [writer, a, b] = [await freePort(), await freePort(), await freePort()];
    const { code, output } = await runScript({ WRITER_PORT: String(writer), REPLICA_PORTS: `${a} ${b}` });
    expect(code, output).toBe(0);
    const line = (port: number, text: string): RegExp => new RegExp(`ldap://127\\.0\\.0\\.1:${port}\\s+${text}`);
    for (const port of [writer, a, b]) {
      expect(output).toMatch(line(port, 'weekly-sync Weekly sync\\n'));
      expect(output).toMatch(line(port, 'weekly-sync Weekly sync \\(moved to Tuesday\\)'));
      expect(output).toMatch(line(port, '\\(none\\)'));
    }
    // The last contextCSNs printed are the same on all three.
    const csns = [...output.matchAll(/ldap:\/\/127\.0\.0\.1:\d+\s+(\d{14}\.\d{6}Z#\S+)/g)].slice(-3).map((m) => m[1]);
    expect(new Set(csns).size, output).toBe(1);
    expect(output).toContain(`Referral (10)`);
    expect(output).toContain(`ldap://127.0.0.1:${writer}/uid=elsewhere,ou=dynamic,o=Intranet`);
  }, 120_000);
});
