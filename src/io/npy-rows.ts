// A 2-D .npy file read a block of rows at a time (Node only), so a large matrix of samples (a
// layer's calibration inputs) never has to be in memory at once. The file may be a regular file
// or a stream (a pipe, a FIFO, /dev/stdin, a process substitution): both are read once, in order,
// a block at a time; a regular file's size is checked against its header before any block is read.
import type { DType, FloatArray } from '../core/dtype.js';
import type { Matrix } from '../core/matrix.js';
import type { Linalg } from '../linalg/linalg.js';
import { arrayType, bytesPer } from '../core/dtype.js';
import { checkInt, typeError } from '../core/errors.js';
import { byteSwap, type NpyHeader, NpyFormatError, parseNpy, parseNpyHeader } from './npy.js';
import { checkNpyLength, npyDataBytes, openInput, type OpenInput } from './files.js';

const NATIVE_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The next `n` bytes of the input, in order; fewer only at its end. */
function take(input: OpenInput, n: number): Promise<Uint8Array> {
  return input.read(n);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Reads the header from the start of an input and parses it (errors name `path`); for a regular
 * file, also checks that the file's size matches the shape. Returns the header bytes too.
 */
async function headerOf(input: OpenInput, path: string): Promise<{ header: NpyHeader; bytes: Uint8Array }> {
  // Bytes 8.. hold the header length (u16 in version 1, u32 after); parseNpyHeader checks the rest.
  let bytes = await take(input, 10);
  if (bytes.length === 0) throw new NpyFormatError(path, 'empty: no bytes to read (not a .npy file)');
  if (bytes.length === 10 && (bytes[6] === 2 || bytes[6] === 3)) bytes = concat(bytes, await take(input, 2));
  let want = bytes.length;
  if (bytes.length >= 10 && bytes[6] === 1) want = 10 + (bytes[8] | (bytes[9] << 8));
  else if (bytes.length >= 12 && (bytes[6] === 2 || bytes[6] === 3)) want = 12 + (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16)) + bytes[11] * 2 ** 24;
  // A header is a few hundred bytes; a length beyond this is garbage, not a header to wait for.
  if (want > bytes.length && want <= 1 << 24) bytes = concat(bytes, await take(input, want - bytes.length));
  const header = parseNpyHeader(bytes, path);
  if (input.regular) checkNpyLength(header, input.size, path);
  return { header, bytes };
}

/**
 * The header of a .npy file, read from its first bytes only, after checking that the file's size
 * matches the shape (errors name the path). On a stream (a pipe) this consumes the header; to see
 * a stream's header and still read its rows, use forEachNpyRows's `onHeader`.
 * @example
 * const { shape, dtype } = await readNpyHeader('X.npy');
 */
export async function readNpyHeader(path: string): Promise<NpyHeader> {
  if (typeof path !== 'string' || path === '') throw typeError('readNpyHeader', 'path', path, 'a non-empty string');
  const input = await openInput(path);
  try {
    return (await headerOf(input, path)).header;
  } finally {
    await input.close();
  }
}

/** Options of forEachNpyRows. */
export interface NpyRowsOptions {
  /**
   * Called with the header before the first block (and before the 2-D check), so a caller can
   * check the shape of a stream it can read only once; throwing here stops the reading.
   */
  onHeader?: (header: NpyHeader) => void;
}

/**
 * Calls `each(block, rows, start)` for consecutive blocks of at most `blockRows` rows of a 2-D
 * .npy file, with `block` holding rows x cols values in row-major order in the file's dtype
 * (`each` may be async: the next block is read once it has finished).
 * C order is read a block at a time, from a regular file or a stream alike; Fortran order needs
 * every row before the first is complete, so it is read whole and then handed out in blocks.
 * Returns the header. Errors: NpyFormatError for bad content (naming the path), or the system's
 * error (ENOENT, EISDIR, ...).
 * @example
 * await forEachNpyRows('X.npy', 4096, (x, rows) => acc.addBatch({ data: x, rows, cols }));
 */
export async function forEachNpyRows(
  path: string, blockRows: number, each: (block: FloatArray, rows: number, start: number) => void | Promise<void>, options: NpyRowsOptions = {},
): Promise<NpyHeader> {
  checkInt('forEachNpyRows', 'blockRows', blockRows, 1);
  if (typeof path !== 'string' || path === '') throw typeError('forEachNpyRows', 'path', path, 'a non-empty string');
  const input = await openInput(path);
  try {
    const { header: h, bytes: head } = await headerOf(input, path);
    options.onHeader?.(h);
    if (h.shape.length !== 2) throw new NpyFormatError(path, `expected a 2-D array (samples x inputs), got shape (${h.shape.join(', ')})`);
    const [rows, cols] = h.shape;
    /** Throws unless `got` bytes of data were all there was to read. */
    const short = (got: number) => checkNpyLength(h, h.dataOffset + got, path);
    if (h.fortranOrder) {
      const data = await take(input, npyDataBytes(h));
      if (data.length < npyDataBytes(h)) short(data.length);
      await checkEnd(input, h, path);
      const whole = parseNpy(concat(head, data), path).data;
      for (let r = 0; r < rows; r += blockRows) await each(whole.subarray(r * cols, Math.min(rows, r + blockRows) * cols), Math.min(blockRows, rows - r), r);
      return h;
    }
    const size = bytesPer(h.dtype), T = arrayType(h.dtype);
    for (let r = 0; r < rows; r += blockRows) {
      const n = Math.min(blockRows, rows - r);
      const bytes = await take(input, n * cols * size);
      if (bytes.length < n * cols * size) short(r * cols * size + bytes.length);
      let block: FloatArray;
      if (h.littleEndian === NATIVE_LITTLE) block = new T(bytes.buffer as ArrayBuffer, bytes.byteOffset, n * cols);
      else {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        block = new T(n * cols);
        for (let i = 0; i < block.length; i++) block[i] = size === 4 ? view.getFloat32(i * 4, h.littleEndian) : view.getFloat64(i * 8, h.littleEndian);
      }
      await each(block, n, r);
    }
    await checkEnd(input, h, path);
    return h;
  } finally {
    await input.close();
  }
}

/** Throws when a stream holds more than its header describes (a regular file's size was checked up front). */
async function checkEnd(input: OpenInput, h: NpyHeader, path: string): Promise<void> {
  if (input.regular) return;
  const extra = await take(input, 1);
  if (extra.length > 0) throw new NpyFormatError(path, `trailing data after the ${npyDataBytes(h)} bytes of data the header describes`);
}

/** Options of readNpyMatrix. */
export interface NpyMatrixOptions {
  /**
   * Called with the header before any storage is allocated (for a regular file, after its size
   * was checked against the header), so a caller can refuse a shape; the array must then be 2-D.
   */
  check?: (header: NpyHeader) => void;
}

/**
 * Reads a 2-D float32/float64 .npy file into a new matrix of la's storage in the file's dtype
 * (the caller frees it), with no host array in between: the data of a C-order file goes from the
 * file straight into the matrix (la.writeBytes: on a host backend into its storage itself,
 * elsewhere through a staging buffer), byte-swapped there when the file is big-endian. A
 * Fortran-order file is read whole and reordered on the host, then written in. The matrix holds
 * exactly what readNpyFile's data would. Errors as readNpyFile's (an NpyFormatError naming the
 * path, or the system's error), a regular file's format and length checked before `check`; a
 * stream (a pipe) is read once, its length known only at its end, so there `check` runs after the
 * header and a short or long stream is refused after the data.
 * @example
 * const W = await readNpyMatrix(la, 'W.npy', { check: (h) => { if (h.shape.length !== 2) throw new Error('not 2-D'); } });
 */
export async function readNpyMatrix(la: Linalg, path: string, options: NpyMatrixOptions = {}): Promise<Matrix<DType>> {
  if (typeof path !== 'string' || path === '') throw typeError('readNpyMatrix', 'path', path, 'a non-empty string');
  const input = await openInput(path);
  try {
    const { header: h, bytes: head } = await headerOf(input, path);
    const want = npyDataBytes(h);
    /** Throws unless `got` bytes of data were all there was to read. */
    const short = (got: number) => checkNpyLength(h, h.dataOffset + got, path);
    if (h.fortranOrder) {
      const data = await take(input, want);
      if (data.length < want) short(data.length);
      await checkRest(input, h, want, path);
      const whole = parseNpy(concat(head, data), path);
      options.check?.(h);
      const [rows, cols] = twoD(h, path);
      return la.fromArray(whole.data, rows, cols, h.dtype);
    }
    options.check?.(h);
    const [rows, cols] = twoD(h, path);
    const M = la.matrix(rows, cols, h.dtype);
    try {
      const size = bytesPer(h.dtype) as 4 | 8, swap = h.littleEndian !== NATIVE_LITTLE;
      const got = await la.writeBytes(M, async (dst) => {
        const n = await input.readInto(dst);
        if (swap) byteSwap(dst.subarray(0, n - (n % size)), size);
        return n;
      });
      if (got < want) short(got);
      await checkRest(input, h, want, path);
      return M;
    } catch (err) {
      M.free();
      throw err;
    }
  } finally {
    await input.close();
  }
}

/** rows x cols of a header that must be 2-D by now (the caller's check refuses the rest). */
function twoD(h: NpyHeader, path: string): [number, number] {
  if (h.shape.length !== 2) throw new NpyFormatError(path, `expected a 2-D array, got shape (${h.shape.join(', ')})`);
  return [h.shape[0], h.shape[1]];
}

/** Throws, as readNpyFile would, when a stream holds more than the `want` data bytes its header describes. */
async function checkRest(input: OpenInput, h: NpyHeader, want: number, path: string): Promise<void> {
  if (input.regular) return;
  let extra = 0;
  for (let piece = await take(input, 1 << 20); piece.length > 0; piece = await take(input, 1 << 20)) extra += piece.length;
  if (extra > 0) checkNpyLength(h, h.dataOffset + want + extra, path);
}
