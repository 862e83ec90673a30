// Random access to the bytes of a file, a Blob or an array, read by offset: what a reader of a
// large binary file (safetensors) needs so that it can take the header first and then one tensor
// at a time, never the whole file. Platform-neutral: the Node file-handle source lives in
// node-byte-source.ts, so that a browser bundle never imports node:fs.

import { checkInt, rangeError, typeError } from '../core/errors.js';

/**
 * Bytes read by offset. `read` returns exactly `length` bytes, fresh: the caller owns them and may
 * keep or modify them (a source never hands out a view of memory it keeps); a range outside
 * [0, size) is an error. After `close`, reads are errors.
 */
export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** `length` bytes starting at `offset`; offset + length must not exceed `size`. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases what the source holds (a file handle); reading afterwards throws. */
  close(): Promise<void>;
}

/**
 * Throws unless [offset, offset + length) lies within [0, size) (an empty range at `size` is
 * allowed), naming `fn` and the bad argument. Shared by every ByteSource.
 */
export function checkRange(fn: string, offset: unknown, length: unknown, size: number): void {
  checkInt(fn, 'offset', offset, 0);
  checkInt(fn, 'length', length, 0);
  const o = offset as number, n = length as number;
  if (o > size) throw rangeError(fn, 'offset', o, `at most the source's size (${size} bytes)`);
  if (n > size - o) throw rangeError(fn, 'length', n, `at most ${size - o} (the source has ${size} bytes; offset ${o})`);
}

/** Throws when a source has been closed. */
export function checkOpen(fn: string, closed: boolean): void {
  if (closed) throw rangeError(fn, 'this', 'a closed source', 'an open source (close() was called)');
}

/**
 * A ByteSource over bytes already in memory; reads copy, so callers never alias `bytes`.
 * @example
 * const src = bytesSource(new Uint8Array([1, 2, 3, 4]));
 * await src.read(1, 2);   // Uint8Array [2, 3]
 * await src.read(3, 2);   // throws ArgumentRangeError: length must be at most 1
 */
export function bytesSource(bytes: Uint8Array): ByteSource {
  if (!(bytes instanceof Uint8Array)) throw typeError('bytesSource', 'bytes', bytes, 'a Uint8Array');
  let closed = false;
  return {
    size: bytes.length,
    async read(offset, length) {
      checkOpen('bytesSource.read', closed);
      checkRange('bytesSource.read', offset, length, bytes.length);
      return bytes.slice(offset, offset + length);
    },
    async close() {
      closed = true;
    },
  };
}

/**
 * A ByteSource over a Blob or File (browsers, Deno, Node ≥ 20): each read is one `slice` of the
 * blob, so a file the user picked is never read whole.
 * @example
 * const src = blobSource(input.files[0]);
 * const prefix = await src.read(0, 8);
 */
export function blobSource(blob: Blob): ByteSource {
  if (typeof Blob === 'undefined' || !(blob instanceof Blob)) throw typeError('blobSource', 'blob', blob, 'a Blob or File');
  let closed = false;
  return {
    size: blob.size,
    async read(offset, length) {
      checkOpen('blobSource.read', closed);
      checkRange('blobSource.read', offset, length, blob.size);
      const bytes = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      if (bytes.length !== length) throw rangeError('blobSource.read', 'length', length, `a range the blob still holds (it gave ${bytes.length} bytes)`);
      return bytes;
    },
    async close() {
      closed = true;
    },
  };
}
