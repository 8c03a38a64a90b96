/**
 * Reading database files once, so that every cell measures a server whose data is in the
 * OS page cache (the steady state of a server that has run a while), not whatever part of
 * it the load happened to leave there. At 1,000,000 entries the load left part of a 2.5 GB
 * SQLite file uncached, so the first cells read the disk and later ones less: equality ×64
 * measured 11,400/s after a load and 15,400/s on the same file once it was read through.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Regular files at these paths and under these directories, recursively, with the bytes to
 * read of each; missing ones skipped. A sparse file is read as far as its allocated size:
 * slapd's data.mdb is as large as its maxsize (16 GiB) and LMDB fills it from the start.
 */
async function filesOf(paths: readonly string[]): Promise<Array<{ file: string; bytes: number }>> {
  const files: Array<{ file: string; bytes: number }> = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) files.push({ file: path, bytes: Math.min(info.size, info.blocks * 512) });
    else if (info?.isDirectory()) files.push(...(await filesOf((await readdir(path)).map((name) => join(path, name)))));
  }
  return files;
}

/**
 * Reads the files (directories: the files under them) through and discards what it read.
 * Returns the bytes read and the time taken.
 */
export async function warmPageCache(paths: readonly string[]): Promise<{ bytes: number; seconds: number }> {
  const started = performance.now();
  const buffer = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  for (const { file, bytes: size } of await filesOf(paths)) {
    const handle = await open(file, 'r');
    try {
      for (let done = 0, n = 1; done < size && n > 0; done += n) {
        n = (await handle.read(buffer, 0, Math.min(buffer.length, size - done), done)).bytesRead;
        bytes += n;
      }
    } finally {
      await handle.close();
    }
  }
  return { bytes, seconds: (performance.now() - started) / 1000 };
}
