// .npy files on disk (Node only). The CLI imports these directly; src/index.ts exports only the
// platform-neutral parseNpy/formatNpy.

import { type FileHandle, open, readFile } from 'node:fs/promises';
import { bytesPer, type FloatArray } from '../core/dtype.js';
import { show, typeError } from '../core/errors.js';
import { gunzipSync } from 'node:zlib';
import { writeFileAtomic } from './atomic.js';
import { type IdxArray, parseIdx } from './idx.js';
import { type NpyArray, type NpyHeader, NpyFormatError, formatNpy, parseNpy, parseNpyHeader } from './npy.js';
import { fileId, whereTo } from './outputs.js';

/** Options for writeNpyFile. */
export interface WriteNpyOptions {
  /** Paths (the command's inputs, say) that the output must not overwrite. */
  protect?: string[];
}

/**
 * An input opened for reading, once and in order: a regular file (its size known, so a short file
 * is caught before any reading) or a stream (a pipe, a FIFO, /dev/stdin, a process substitution).
 */
export interface OpenInput {
  readonly regular: boolean;
  /** The size of a regular file in bytes (0 for a stream). */
  readonly size: number;
  /** The next `n` bytes; fewer only at the end of the input. */
  read(n: number): Promise<Uint8Array>;
  /** Reads the next bytes into `dst`, filling it unless the input ends first; resolves to the count. */
  readInto(dst: Uint8Array): Promise<number>;
  /** Everything still to come. */
  readAll(): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** The input on a file handle (regular file or pipe: both read in order). */
function handleInput(handle: FileHandle, regular: boolean, size: number): OpenInput {
  return {
    regular, size,
    async read(n) {
      const bytes = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await handle.read(bytes, got, n - got, null);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === n ? bytes : bytes.subarray(0, got);
    },
    async readInto(dst) {
      let got = 0;
      while (got < dst.length) {
        const { bytesRead } = await handle.read(dst, got, dst.length - got, null);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got;
    },
    async readAll() {
      const b = await handle.readFile();
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    },
    close: () => handle.close(),
  };
}

/** The input on a readable stream (stdin when it is a socket, which cannot be opened by name). */
function streamInput(stream: NodeJS.ReadableStream & { destroy?: () => void }): OpenInput {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let pending: Uint8Array = new Uint8Array(0), ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      return false;
    }
    const c = typeof next.value === 'string' ? Buffer.from(next.value, 'latin1') : next.value;
    const joined = new Uint8Array(pending.length + c.length);
    joined.set(pending);
    joined.set(c, pending.length);
    pending = joined;
    return true;
  };
  return {
    regular: false, size: 0,
    async read(n) {
      while (pending.length < n && (await more()));
      const out = pending.slice(0, Math.min(n, pending.length));
      pending = pending.subarray(out.length);
      return out;
    },
    async readInto(dst) {
      let got = 0;
      while (got < dst.length) {
        if (pending.length === 0 && !(await more())) break;
        const k = Math.min(pending.length, dst.length - got);
        dst.set(pending.subarray(0, k), got);
        pending = pending.subarray(k);
        got += k;
      }
      return got;
    },
    async readAll() {
      while (await more());
      const out = pending;
      pending = new Uint8Array(0);
      return out;
    },
    async close() {
      stream.destroy?.();
    },
  };
}

/** True for the names of this process's standard input. */
function isStdinPath(path: string): boolean {
  return path === '/dev/stdin' || path === '/dev/fd/0' || path === '/proc/self/fd/0';
}

/**
 * Opens `path` for reading. A directory is an error with code EISDIR (as reading it would give);
 * a missing file and the like are the system's errors, with their `code`. /dev/stdin works when
 * standard input is a file, a pipe, or a socket (as Node's child processes get; such a stdin
 * cannot be opened by name, so it is read from the process's own stream). Close it when done.
 */
export async function openInput(path: string): Promise<OpenInput> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (isStdinPath(path) && typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENXIO') return streamInput(process.stdin);
    throw err;
  }
  try {
    const s = await handle.stat();
    if (s.isDirectory()) {
      throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR', syscall: 'read', path });
    }
    return handleInput(handle, s.isFile(), s.isFile() ? s.size : 0);
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Bytes of data a .npy header describes (a float, so that absurd shapes compare correctly). */
export function npyDataBytes(h: NpyHeader): number {
  return h.shape.reduce((a, b) => a * b, 1) * bytesPer(h.dtype);
}

/** A shape as `64x32` (`scalar` for none). */
function shapeText(shape: number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('x');
}

/**
 * Throws an NpyFormatError when `available` bytes (the file's size, or what a stream held) do not
 * match what the header describes: `truncated: header says 64x32 float32 (8192 bytes of data),
 * file has 100`, or `trailing data: ...`.
 */
export function checkNpyLength(h: NpyHeader, available: number, source: string): void {
  const want = npyDataBytes(h), have = available - h.dataOffset;
  if (have < want) throw new NpyFormatError(source, `truncated: header says ${shapeText(h.shape)} ${h.dtype} (${want} bytes of data), file has ${have}`);
  if (have > want) throw new NpyFormatError(source, `trailing data: ${have - want} bytes after the ${want} bytes of data the header describes`);
}

/** The whole .npy file in `bytes` (read from `source`), its length checked against its header first. */
function parseWhole(bytes: Uint8Array, source: string): NpyArray {
  if (bytes.length === 0) throw new NpyFormatError(source, 'empty: no bytes to read (not a .npy file)');
  checkNpyLength(parseNpyHeader(bytes, source), bytes.length, source);
  return parseNpy(bytes, source);
}

/**
 * Reads a float32 or float64 .npy file; the data comes back in C order. Errors name the path:
 * an NpyFormatError (with `reason`) for content that is not a readable .npy file of the length its
 * header says, or the system's error (with `code`: ENOENT, EACCES, EISDIR, ...). `path` may be a
 * pipe (a FIFO, /dev/stdin): a stream is read whole, in order, since .npy data of any order needs
 * all of it here.
 *
 * @example
 * const { shape, data } = await readNpyFile('A.npy');
 */
export async function readNpyFile(path: string): Promise<NpyArray> {
  if (typeof path !== 'string' || path === '') throw typeError('readNpyFile', 'path', path, 'a non-empty string');
  const input = await openInput(path);
  try {
    return parseWhole(await input.readAll(), path);
  } finally {
    await input.close();
  }
}

/**
 * Writes `data` with this shape to a .npy file (C order, little-endian) atomically: the old
 * file, if any, stays intact until the new one is complete, and a failed write leaves nothing
 * behind. Throws, writing nothing, when `path` resolves to one of `options.protect`.
 *
 * @example
 * await writeNpyFile('x.npy', x, [n], { protect: ['A.npy', 'y.npy'] });
 */
export async function writeNpyFile(path: string, data: FloatArray, shape: number[], options: WriteNpyOptions = {}): Promise<void> {
  if (typeof path !== 'string' || path === '') throw typeError('writeNpyFile', 'path', path, 'a non-empty string');
  if (options === null || typeof options !== 'object') throw typeError('writeNpyFile', 'options', options, 'an object');
  const protect = options.protect ?? [];
  if (!Array.isArray(protect) || protect.some((p) => typeof p !== 'string')) {
    throw typeError('writeNpyFile', 'options.protect', protect, 'an array of paths');
  }
  const bytes = formatNpy(data, shape); // validates data and shape before touching the disk

  if (protect.length > 0) {
    const target = await whereTo(path);
    const targetId = await fileId(target);
    for (const p of protect) {
      const same = (await whereTo(p)) === target || (targetId !== null && (await fileId(p)) === targetId);
      if (same) {
        throw new RangeError(
          `writeNpyFile: argument path ${show(path)} is the input ${show(p)}; refusing to overwrite an input (choose another output path)`,
        );
      }
    }
  }
  await writeFileAtomic(path, bytes);
}

/**
 * Reads an IDX file (MNIST), gunzipping it when the name ends in .gz.
 * @example
 * const images = await readIdxFile('../shared/data/mnist/t10k-images-idx3-ubyte.gz');
 */
export async function readIdxFile(path: string): Promise<IdxArray> {
  if (typeof path !== 'string' || path === '') throw typeError('readIdxFile', 'path', path, 'a non-empty string');
  let bytes: Uint8Array = await readFile(path);
  if (path.endsWith('.gz')) bytes = gunzipSync(bytes);
  return parseIdx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}
