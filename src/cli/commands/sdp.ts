/**
 * `rendezvous sdp check|show`: the conference blob controls from the command line.
 */
import type { Command } from 'commander';
import { formatProblem, parseSdp, summarize, type SdpProblem } from '../../sdp/index.js';
import { toJson } from '../format.js';
import { readInput } from '../input.js';
import { describeSdp } from '../sdp-view.js';

interface SdpOptions {
  lenient?: boolean;
  json?: boolean;
}

const problemLine = (source: string, p: SdpProblem): string => `${source}: ${p.severity}: ${formatProblem(p)}`;

/** Adds the `sdp` command group. */
export function registerSdp(program: Command): void {
  const sdp = program.command('sdp').description('validate and inspect SDP conference blobs');

  sdp
    .command('check')
    .description('validate a conference blob and print every problem; exits 1 if it is invalid')
    .argument('<file>', 'SDP file, or - for standard input')
    .option('--lenient', 'accept what real senders emit (missing multicast TTL, r=0 0, empty lines) with warnings; bare LF endings are accepted with a warning either way')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  $ rendezvous sdp check conference.sdp\n  $ curl -s http://example/session.sdp | rendezvous sdp check --lenient -')
    .action(async (file: string, options: SdpOptions) => {
      const result = parseSdp(await readInput(file), { mode: options.lenient ? 'lenient' : 'strict' });
      const source = file === '-' ? '<stdin>' : file;
      if (options.json) {
        console.log(toJson({ valid: result.valid, errors: result.errors, warnings: result.warnings }));
      } else {
        for (const p of [...result.errors, ...result.warnings].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity))) {
          console.log(problemLine(source, p));
        }
        const counts = `${result.errors.length} error(s), ${result.warnings.length} warning(s)`;
        console.log(`${source}: ${result.valid ? 'valid' : 'invalid'} (${counts})`);
      }
      if (!result.valid) process.exitCode = 1;
    });

  sdp
    .command('show')
    .description('print a conference blob readably (or its object model with --json)')
    .argument('<file>', 'SDP file, or - for standard input')
    .option('--lenient', 'accept what real senders emit, with warnings')
    .option('--json', 'print the parsed object model and derived summary as JSON')
    .addHelpText('after', '\nExample:\n  $ rendezvous sdp show conference.sdp\n  $ rendezvous sdp show --json - < conference.sdp')
    .action(async (file: string, options: SdpOptions) => {
      const result = parseSdp(await readInput(file), { mode: options.lenient ? 'lenient' : 'strict' });
      const source = file === '-' ? '<stdin>' : file;
      if (!result.valid) {
        for (const p of result.errors) console.error(problemLine(source, p));
        process.exitCode = 1;
        return;
      }
      if (options.json) {
        console.log(toJson({ description: result.description, summary: summarize(result.description), warnings: result.warnings }));
      } else {
        console.log(describeSdp(result.description));
        for (const p of result.warnings) console.log(problemLine(source, p));
      }
    });
}
