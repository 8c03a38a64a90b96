/**
 * The `rendezvous` command line: builds the commander program and runs it.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliError } from './errors.js';
import { registerSdp } from './commands/sdp.js';
import { registerServe } from './commands/serve.js';
import { registerAccount } from './commands/account.js';
import { registerPublish } from './commands/publish.js';
import { registerList } from './commands/list.js';
import { registerShow } from './commands/show.js';
import { registerDelete } from './commands/delete.js';
import { registerRefresh } from './commands/refresh.js';
import { registerUser } from './commands/user.js';
import { registerMcast } from './commands/mcast.js';
import { registerWatch } from './commands/watch.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Builds the program with every command. */
export function buildProgram(): Command {
  const program = new Command('rendezvous')
    .description('Rendezvous: an LDAP conference directory (ILS / TAPI 3 compatible) with SDP conference blobs')
    .version(pkg.version, '-V, --version', 'print the version')
    // Subcommands inherit both settings: usage errors become one line and exit code 2 (see main).
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`rendezvous: ${text.replace(/^error: /, '').split('\n')[0]} (see --help)\n`) });
  registerServe(program, pkg.version);
  registerAccount(program);
  registerPublish(program);
  registerList(program);
  registerWatch(program);
  registerShow(program);
  registerDelete(program);
  registerRefresh(program);
  registerUser(program);
  registerMcast(program);
  registerSdp(program);
  return program;
}

/** Runs the CLI; maps failures to one line on stderr and exit codes 1 (failure) or 2 (usage). */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit 0 through here; usage errors were already printed by commander.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    if (error instanceof CliError) {
      process.stderr.write(`rendezvous: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`rendezvous: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
