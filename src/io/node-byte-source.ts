// A ByteSource over a file on disk (Node only): positioned reads on one file handle, so a large
// file is never read whole. Not exported from src/index.ts (it imports node:fs).

import { open } from 'node:fs/promises';
import { rangeError, typeError } from '../core/errors.js';
import { type ByteSource, checkOpen, checkRange } from './byte-source.js';

/** The most one handle.read call is asked for (Node refuses reads of 2 GiB and more). */
const MAX_READ = 1 << 30;

/**
 * Opens `path` as a ByteSource: its size is the file's size when opened, and each read is a
 * positioned read of exactly that range (a file that shrank since is an error). Errors opening
 * the file are the system's (with `code`: ENOENT, EACCES, ...); a directory or other non-regular
 * file is an ArgumentRangeError. Close it when done.
 *
 * @example
 * const src = await fileSource('model.safetensors');
 * const prefix = await src.read(0, 8);
 * await src.close();
 */
export async function fileSource(path: string): Promise<ByteSource> {
  if (typeof path !== 'string' || path === '') throw typeError('fileSource', 'path', path, 'a non-empty string');
  const handle = await open(path, 'r');
  let size: number;
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw rangeError('fileSource', 'path', path, 'a regular file');
    size = s.size;
  } catch (err) {
    await handle.close();
    throw err;
  }
  let closed = false;
  return {
    size,
    async read(offset, length) {
      checkOpen('fileSource.read', closed);
      checkRange('fileSource.read', offset, length, size);
      const bytes = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await handle.read(bytes, got, Math.min(length - got, MAX_READ), offset + got);
        if (bytesRead === 0) throw rangeError('fileSource.read', 'path', path, `a file of ${size} bytes, as when opened (it ended at ${offset + got}: it shrank)`);
        got += bytesRead;
      }
      return bytes;
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}
