// .npy files on disk (Node only). The CLI imports these directly; src/index.ts exports only the
// platform-neutral parseNpy/formatNpy.

import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { FloatArray } from '../core/dtype.js';
import { show, typeError } from '../core/errors.js';
import { gunzipSync } from 'node:zlib';
import { writeFileAtomic } from './atomic.js';
import { type IdxArray, parseIdx } from './idx.js';
import { type NpyArray, formatNpy, parseNpy } from './npy.js';

/** Options for writeNpyFile. */
export interface WriteNpyOptions {
  /** Paths (the command's inputs, say) that the output must not overwrite. */
  protect?: string[];
}

/**
 * Reads a float32 or float64 .npy file; the data comes back in C order. Errors name the path.
 *
 * @example
 * const { shape, data } = await readNpyFile('A.npy');
 */
export async function readNpyFile(path: string): Promise<NpyArray> {
  if (typeof path !== 'string' || path === '') throw typeError('readNpyFile', 'path', path, 'a non-empty string');
  const bytes = await readFile(path);
  return parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/** Where `path` leads: its realpath when it exists, else its directory's realpath plus its name. */
async function whereTo(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    try {
      return join(await realpath(dirname(resolve(path))), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

/** Device and inode of an existing file, to catch hard links; undefined when it is missing. */
async function identity(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
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
    const targetId = await identity(target);
    for (const p of protect) {
      const same = (await whereTo(p)) === target || (targetId !== undefined && (await identity(p)) === targetId);
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
