// Atomic file replacement (Node only): write a temporary file beside the target, flush it to
// disk, then rename it over the target, so readers see either the old file or the new one,
// never a half-written one.

import { randomBytes } from 'node:crypto';
import { type FileHandle, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { typeError } from '../core/errors.js';

/** The name of a fresh temporary file beside `target`: `.<name>.<pid>.<random>.tmp`. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Replaces the file at `path` with `bytes` atomically: writes `.<name>.<pid>.<random>.tmp` in
 * the same directory, fsyncs it, and renames it over `path`. When `path` is a symlink to a
 * file, the file it points to is replaced and the link kept; an existing file's permission
 * bits carry over. On any error the temporary file is removed, `path` is left as it was, and
 * the error is rethrown.
 *
 * @example
 * await writeFileAtomic('out/x.bin', new Uint8Array([1, 2, 3]));
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  if (typeof path !== 'string' || path === '') throw typeError('writeFileAtomic', 'path', path, 'a non-empty string');
  if (!(bytes instanceof Uint8Array)) throw typeError('writeFileAtomic', 'bytes', bytes, 'a Uint8Array');
  await writeFileAtomicWith(path, (put) => put(bytes));
}

/**
 * Like writeFileAtomic, but the content comes in pieces: `write` is called with `put`, which
 * appends a chunk to the temporary file (await each), so a large file never sits in memory whole.
 * If `write` throws, the temporary file is removed, `path` is left as it was, and the error is
 * rethrown.
 *
 * @example
 * await writeFileAtomicWith('out/big.bin', async (put) => {
 *   for (const chunk of chunks()) await put(chunk);
 * });
 */
export async function writeFileAtomicWith(path: string, write: (put: (chunk: Uint8Array) => Promise<void>) => Promise<unknown>): Promise<void> {
  if (typeof path !== 'string' || path === '') throw typeError('writeFileAtomicWith', 'path', path, 'a non-empty string');
  if (typeof write !== 'function') throw typeError('writeFileAtomicWith', 'write', write, 'a function');
  // Follow a symlink so the link survives; keep the mode of a file being replaced.
  let target = path;
  let mode: number | undefined;
  try {
    target = await realpath(path);
    mode = (await stat(target)).mode & 0o7777;
  } catch {
    // No such file yet (or a dangling link): write to the path as given.
  }

  const tmp = tempPathFor(target);
  let fh: FileHandle | undefined;
  let created = false;
  try {
    fh = await open(tmp, 'wx', mode ?? 0o666);
    created = true;
    if (mode !== undefined) await fh.chmod(mode);
    const handle = fh;
    await write(async (chunk) => {
      if (!(chunk instanceof Uint8Array)) throw typeError('writeFileAtomicWith', 'chunk', chunk, 'a Uint8Array');
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
        done += bytesWritten;
      }
    });
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, target);
    created = false;
  } catch (err) {
    if (fh) await fh.close().catch(() => {});
    if (created) await unlink(tmp).catch(() => {});
    throw err;
  }
  // Make the rename itself durable; some platforms cannot open or sync a directory.
  try {
    const dir = await open(dirname(target), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Best effort only.
  }
}
