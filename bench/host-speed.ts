/**
 * Two fixed probes of how fast this host runs at a given moment, taken at the start and the
 * end of a run. The machine here is a shared virtual one whose speed moves by a third over
 * an evening (the same build on the same database: time window ×8 at 1,109 to 2,209
 * searches/s in one day); without a yardstick, a reader cannot tell a slower build from a
 * slower host. The probes stand for the two costs that bound our searches: a read of one
 * 4 KiB page from the kernel's page cache (SQLite reads each row of a time window so), and
 * JavaScript work on small objects and strings (decoding, evaluating, encoding).
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** One reading of the two probes. */
export interface HostSpeed {
  /** Mean time of a 4 KiB `pread` at a random offset of a cached 64 MiB file (µs). */
  preadUs: number;
  /** Time of a fixed amount of JavaScript work (ms). */
  jsMs: number;
}

const FILE_BYTES = 64 * 2 ** 20;
const PAGE = 4096;
const READS = 50_000;
const JS_ROUNDS = 20_000;

/** A small deterministic generator, so every run reads the same offsets. */
function offsets(count: number): number[] {
  let state = 12_345;
  const pages = FILE_BYTES / PAGE;
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return (state % pages) * PAGE;
  });
}

function preadProbe(dir: string): number {
  const path = join(dir, 'host-speed.probe');
  const fd = openSync(path, 'w+');
  try {
    const chunk = Buffer.alloc(2 ** 20, 7);
    for (let at = 0; at < FILE_BYTES; at += chunk.length) writeSync(fd, chunk, 0, chunk.length, at);
    const page = Buffer.alloc(PAGE);
    // Once through, so that every page is in the cache (just written, but be sure).
    for (let at = 0; at < FILE_BYTES; at += PAGE) readSync(fd, page, 0, PAGE, at);
    const at = offsets(READS);
    const started = process.hrtime.bigint();
    for (const offset of at) readSync(fd, page, 0, PAGE, offset);
    return Number(process.hrtime.bigint() - started) / 1000 / READS;
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
}

function jsProbe(): number {
  const record = { dn: 'uid=conf-0000001,ou=dynamic,o=Intranet', objectClass: ['top', 'rtConference'], cn: 'Weekly review', startTime: '20261203190000Z', values: Array.from({ length: 20 }, (_, i) => `value ${i}`) };
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < JS_ROUNDS; i += 1) {
    const copy = JSON.parse(JSON.stringify({ ...record, n: i })) as typeof record;
    sink += copy.values.map((v) => v.toUpperCase()).join(',').length + copy.dn.split(',').length;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (sink === 0) throw new Error('unreachable: keeps the work from being optimised away');
  return ms;
}

/** Takes both probes (about a second), with a scratch file in `dir`. */
export function probeHostSpeed(dir: string): HostSpeed {
  return { preadUs: preadProbe(dir), jsMs: jsProbe() };
}
