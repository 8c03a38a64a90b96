/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes at exit) and ranks functions by
 * self time: where the server's own CPU goes, the starting point for optimising it.
 * Locations in compiled code are mapped back to src/*.ts through the build's source maps.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  /** `name (file:line)`: src/*.ts when mapped, else relative to the root or node_modules. */
  name: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  percent: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  top: HotFunction[];
}

const maps = new Map<string, SourceMap | null>();

/** The TypeScript file and 1-based line of a 0-based position in compiled code, if mapped. */
function original(url: string, line: number, column: number): string | undefined {
  if (!url.startsWith('file://') || url.includes('/node_modules/')) return undefined;
  const path = fileURLToPath(url);
  let map = maps.get(path);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(path, map);
  }
  const entry = map?.findEntry(line, column) as { originalSource?: string; originalLine?: number } | undefined;
  if (!entry?.originalSource || entry.originalLine === undefined) return undefined;
  // Sources are written relative to the build directory; keep the part from src/ on.
  const source = /(?:^|\/)(src\/.+)$/.exec(entry.originalSource)?.[1] ?? entry.originalSource;
  return `${source}:${entry.originalLine + 1}`;
}

function label(frame: ProfileNode['callFrame'], root: string): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const mapped = original(frame.url, frame.lineNumber, frame.columnNumber);
  if (mapped) return `${name} (${mapped})`;
  const file = frame.url
    .replace(/^file:\/\//, '')
    .replace(root, '')
    .replace(/^.*node_modules\//, 'node_modules/');
  // lineNumber is 0-based in profiles.
  return `${name} (${file}:${frame.lineNumber + 1})`;
}

/**
 * The `count` functions with the most self time, merged by name and location. `root` is
 * stripped from the paths of files without a source map.
 */
export async function summarizeProfile(path: string, root: string, count = 10): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  // timeDeltas[i] is the time before sample i; the time until the next sample is sample i's.
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += us;
      return;
    }
    busyUs += us;
    const key = label(node.callFrame, root);
    self.set(key, (self.get(key) ?? 0) + us);
  });
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, selfMs: us / 1000, percent: (100 * us) / busyUs }));
  return { busyMs: busyUs / 1000, idleMs: idleUs / 1000, top };
}
