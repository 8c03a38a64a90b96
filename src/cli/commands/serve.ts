/**
 * `rendezvous serve`: runs the directory. The LDAP server is the next piece of work; until
 * it lands this says so and lists what already runs.
 */
import type { Command } from 'commander';

/** Adds the `serve` command. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the directory server (not built yet: only the SDP tools exist so far)')
    .action(() => {
      console.log('Rendezvous: the LDAP directory server is not built yet.');
      console.log('What runs today: the conference blob tools, "rendezvous sdp check FILE" and "rendezvous sdp show FILE".');
    });
}
