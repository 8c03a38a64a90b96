/**
 * `rendezvous serve`: runs the directory until SIGINT or SIGTERM.
 */
import type { Command } from 'commander';
import { DEFAULT_CONFERENCE_GRACE, DEFAULT_TTL_POLICY } from '../../directory/ttl.js';
import { stderrLogger } from '../../ldap/log.js';
import { DEFAULT_SERVER_OPTIONS, startServer } from '../../server/rendezvous.js';
import { CliError, UsageError } from '../errors.js';
import { integerOption } from '../options.js';

interface ServeOptions {
  host: string;
  port: number;
  db: string;
  suffix: string;
  ilsOpen?: boolean;
  ttlDefault: number;
  ttlMin: number;
  ttlMax: number;
  conferenceGrace: number;
}

/** Adds the `serve` command. */
export function registerServe(program: Command, version: string): void {
  const d = DEFAULT_SERVER_OPTIONS;
  const ttl = integerOption('a TTL', 1, 31_557_600);
  program
    .command('serve')
    .description('run the LDAP directory server on its SQLite database')
    .option('--host <address>', 'address to listen on', d.host)
    .option('--port <port>', 'LDAP port (0 picks a free one)', integerOption('--port', 0, 65535), d.port)
    .option('--db <path>', 'SQLite database file (created if missing)', d.db)
    .option('--suffix <dn>', 'naming context of the directory', d.suffix)
    .option('--ils-open', 'let anonymous clients register and keep their own entries alive, as ILS servers did')
    .option('--ttl-default <seconds>', 'time to live of new dynamic entries', ttl, DEFAULT_TTL_POLICY.defaultTtl)
    .option('--ttl-min <seconds>', 'shorter requested TTLs are raised to this', ttl, DEFAULT_TTL_POLICY.minTtl)
    .option('--ttl-max <seconds>', 'longer requested TTLs are refused', ttl, DEFAULT_TTL_POLICY.maxTtl)
    .option('--conference-grace <seconds>', 'how long a conference is kept after its SDP stop time', integerOption('--conference-grace', 0, 31_557_600), DEFAULT_CONFERENCE_GRACE)
    .addHelpText('after', '\nExamples:\n  $ rendezvous serve\n  $ rendezvous serve --port 389 --host 0.0.0.0 --db /var/lib/rendezvous/directory.db --ils-open')
    .action(async (options: ServeOptions) => {
      if (options.ttlMin > options.ttlMax || options.ttlDefault < options.ttlMin || options.ttlDefault > options.ttlMax) {
        throw new UsageError('TTLs must satisfy --ttl-min <= --ttl-default <= --ttl-max');
      }
      let server;
      try {
        server = await startServer(
          {
            host: options.host,
            port: options.port,
            db: options.db,
            suffix: options.suffix,
            ilsOpen: options.ilsOpen === true,
            ttl: { defaultTtl: options.ttlDefault, minTtl: options.ttlMin, maxTtl: options.ttlMax },
            conferenceGrace: options.conferenceGrace,
            version,
          },
          stderrLogger,
        );
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE') throw new CliError(`cannot listen on ${options.host}:${options.port}: the address is in use`);
        if (e.code === 'EACCES') throw new CliError(`cannot listen on ${options.host}:${options.port}: permission denied`);
        throw new CliError(`cannot start: ${e.message}`);
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          stderrLogger.info(`${signal}: stopping`);
          void server.stop().then(resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
