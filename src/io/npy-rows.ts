// A 2-D .npy file read a block of rows at a time (Node only), so a large matrix of samples (a
// layer's calibration inputs) never has to be in memory at once.
import { open } from 'node:fs/promises';
import type { FloatArray } from '../core/dtype.js';
import { arrayType, bytesPer } from '../core/dtype.js';
import { checkInt, typeError } from '../core/errors.js';
import { type NpyHeader, parseNpyHeader } from './npy.js';
import { readNpyFile } from './files.js';

const NATIVE_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The header of a .npy file, read from its first bytes only, after checking that the file's size
 * matches the shape (errors name the path).
 * @example
 * const { shape, dtype } = await readNpyHeader('X.npy');
 */
export async function readNpyHeader(path: string): Promise<NpyHeader> {
  if (typeof path !== 'string' || path === '') throw typeError('readNpyHeader', 'path', path, 'a non-empty string');
  const fh = await open(path, 'r');
  try {
    return await headerOf(fh, path);
  } finally {
    await fh.close();
  }
}

type Handle = Awaited<ReturnType<typeof open>>;

async function headerOf(fh: Handle, path: string): Promise<NpyHeader> {
  const { size } = await fh.stat();
  const first = new Uint8Array(Math.min(size, 12));
  await fh.read(first, 0, first.length, 0);
  // Bytes 8.. hold the header length (u16 in version 1, u32 after); parseNpyHeader checks the rest.
  let want = first.length;
  if (first.length >= 10 && first[6] === 1) want = 10 + (first[8] | (first[9] << 8));
  else if (first.length >= 12 && (first[6] === 2 || first[6] === 3)) want = 12 + (first[8] | (first[9] << 8) | (first[10] << 16)) + first[11] * 2 ** 24;
  const head = new Uint8Array(Math.min(size, want));
  await fh.read(head, 0, head.length, 0);
  const h = parseNpyHeader(head, path);
  const count = h.shape.reduce((a, b) => a * b, 1);
  const expected = h.dataOffset + count * bytesPer(h.dtype);
  if (size < expected) throw new Error(`parseNpy: ${path}: truncated data: shape (${h.shape.join(', ')}) needs ${expected - h.dataOffset} bytes, got ${size - h.dataOffset}`);
  if (size > expected) throw new Error(`parseNpy: ${path}: trailing garbage: ${size - expected} bytes after the ${expected - h.dataOffset} bytes of data`);
  return h;
}

/**
 * Calls `each(block, rows, start)` for consecutive blocks of at most `blockRows` rows of a 2-D
 * .npy file (C order: read in pieces; Fortran order: read whole, then handed out in blocks), with
 * `block` holding rows x cols values in row-major order in the file's dtype. Returns the header.
 * @example
 * await forEachNpyRows('X.npy', 4096, (x, rows) => acc.addBatch({ data: x, rows, cols }));
 */
export async function forEachNpyRows(
  path: string, blockRows: number, each: (block: FloatArray, rows: number, start: number) => void | Promise<void>,
): Promise<NpyHeader> {
  checkInt('forEachNpyRows', 'blockRows', blockRows, 1);
  const fh = await open(path, 'r');
  try {
    const h = await headerOf(fh, path);
    if (h.shape.length !== 2) throw new Error(`forEachNpyRows: ${path}: expected a 2-D array (samples x inputs), got shape (${h.shape.join(', ')})`);
    const [rows, cols] = h.shape;
    if (h.fortranOrder) {
      const { data } = await readNpyFile(path);
      for (let r = 0; r < rows; r += blockRows) await each(data.subarray(r * cols, Math.min(rows, r + blockRows) * cols), Math.min(blockRows, rows - r), r);
      return h;
    }
    const size = bytesPer(h.dtype), T = arrayType(h.dtype);
    for (let r = 0; r < rows; r += blockRows) {
      const n = Math.min(blockRows, rows - r);
      const bytes = new Uint8Array(n * cols * size);
      let got = 0;
      while (got < bytes.length) {
        const { bytesRead } = await fh.read(bytes, got, bytes.length - got, h.dataOffset + r * cols * size + got);
        if (bytesRead === 0) throw new Error(`forEachNpyRows: ${path}: file shrank while being read`);
        got += bytesRead;
      }
      let block: FloatArray;
      if (h.littleEndian === NATIVE_LITTLE) block = new T(bytes.buffer, 0, n * cols);
      else {
        const view = new DataView(bytes.buffer);
        block = new T(n * cols);
        for (let i = 0; i < block.length; i++) block[i] = size === 4 ? view.getFloat32(i * 4, h.littleEndian) : view.getFloat64(i * 8, h.littleEndian);
      }
      await each(block, n, r);
    }
    return h;
  } finally {
    await fh.close();
  }
}
