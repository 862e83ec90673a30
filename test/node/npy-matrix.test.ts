// readNpyMatrix (a .npy file read straight into backend storage) against readNpyFile + fromArray,
// bit for bit, on three backends: Wasm and reference (their own storage is read into) and the
// strict device-like backend (a staging buffer and write()); odd shapes, float32 and float64,
// little- and big-endian, C and Fortran order, header versions 1.0 and 2.0, files larger than one
// piece, pipes. Also la.writeBytes / la.readBytes and the errors, which must be readNpyFile's.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference/backend.js';
import { init } from '../../src/init.js';
import { readNpyFile } from '../../src/io/files.js';
import { formatNpy, npyHeaderBytes } from '../../src/io/npy.js';
import { readNpyMatrix } from '../../src/io/npy-rows.js';
import { Linalg } from '../../src/linalg/linalg.js';
import { StrictBackend } from '../cases/strict-backend.js';

const dir = mkdtempSync(join(tmpdir(), 'iobs-npy-matrix-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

const backends: [string, () => Promise<Linalg>][] = [
  ['wasm', () => init()],
  ['reference', async () => new Linalg(new ReferenceBackend())],
  ['strict (staging)', async () => new Linalg(new StrictBackend(new ReferenceBackend()))],
];

/** Random bit patterns (NaN payloads, -0, subnormals and all) as `size`-byte elements. */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = a >>> 24;
  }
  return out;
}

/** A .npy file with this header dict text, padded like numpy, then `data`. */
function craft(dict: string, data: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const h = dict + ' '.repeat(64 - ((prefix + dict.length + 1) % 64)) + '\n';
  const out = new Uint8Array(prefix + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  for (let i = 0; i < h.length; i++) out[prefix + i] = h.charCodeAt(i);
  out.set(data, prefix + h.length);
  return out;
}

const dictOf = (descr: string, fortran: boolean, rows: number, cols: number) => `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${rows}, ${cols}), }`;

/** The bytes of a typed array. */
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
/** Byte equality without the matcher's element-by-element diff (slow on megabytes). */
const same = (a: ArrayBufferView, b: ArrayBufferView | null) => b !== null && Buffer.from(bytesOf(a)).equals(Buffer.from(bytesOf(b)));

let fileCount = 0;
function file(bytes: Uint8Array): string {
  const path = join(dir, `f${fileCount++}.npy`);
  writeFileSync(path, bytes);
  return path;
}

/** A FIFO that a child process fills with `bytes` once a reader opens it. */
function fifo(bytes: Uint8Array): string {
  const path = join(dir, `p${fileCount++}.npy`);
  execFileSync('mkfifo', [path]);
  writeFileSync(path + '.src', bytes);
  children.push(spawn(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(path)}, require('fs').readFileSync(${JSON.stringify(path + '.src')}))`], { stdio: 'ignore' }));
  return path;
}

/** What readNpyFile gives, and the error it throws (or null). */
async function oldWay(path: string): Promise<{ data: Uint8Array | null; error: string | null }> {
  try {
    return { data: bytesOf((await readNpyFile(path)).data), error: null };
  } catch (e) {
    return { data: null, error: (e as Error).message };
  }
}

describe.each(backends)('readNpyMatrix on %s', (_name, make) => {
  const cases: [string, number, number, boolean, number][] = [];
  for (const descr of ['<f4', '<f8', '>f4', '>f8']) {
    for (const [rows, cols] of [[1, 1], [7, 13], [37, 5]]) {
      for (const fortran of [false, true]) cases.push([descr, rows, cols, fortran, 1]);
    }
  }
  cases.push(['<f4', 3, 11, false, 2], ['>f8', 5, 3, false, 2], ['<f8', 2, 9, true, 2]);

  it.each(cases)('%s %ix%i fortran=%s version %i: the same bits as readNpyFile, from a file (and a pipe)', async (descr, rows, cols, fortran, major) => {
    const la = await make();
    try {
      const size = descr[2] === '4' ? 4 : 8;
      const bytes = craft(dictOf(descr, fortran, rows, cols), randomBytes(rows * cols * size, rows * 31 + cols + size), major);
      const want = await oldWay(file(bytes));
      // Pipes for a few shapes (each needs a writer process).
      for (const path of rows === 7 || major === 2 ? [file(bytes), fifo(bytes)] : [file(bytes)]) {
        const M = await readNpyMatrix(la, path);
        expect([M.rows, M.cols, M.dtype]).toEqual([rows, cols, size === 4 ? 'float32' : 'float64']);
        expect(same(await la.read(M), want.data)).toBe(true);
        M.free();
      }
      expect(la.liveBytes()).toBe(0);
    } finally {
      la.dispose();
    }
  });

  it('a file of several pieces (over 8 MiB) lands whole', async () => {
    const la = await make();
    try {
      const rows = 1031, cols = 1033; // 8.1 MiB of float64
      const bytes = craft(dictOf('<f8', false, rows, cols), randomBytes(rows * cols * 8, 5));
      const path = file(bytes);
      const M = await readNpyMatrix(la, path);
      expect(same(await la.read(M), (await oldWay(path)).data)).toBe(true);
    } finally {
      la.dispose();
    }
  });

  it('refuses what readNpyFile refuses, with its message, and leaves nothing allocated', async () => {
    const la = await make();
    try {
      const good = craft(dictOf('<f4', false, 4, 6), randomBytes(96, 9));
      const bad: Uint8Array[] = [
        new Uint8Array(0),
        good.subarray(0, 5),
        good.subarray(0, good.length - 3),
        new Uint8Array([...good, 1, 2, 3, 4, 5]),
        craft("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", new Uint8Array(16)),
        craft(dictOf('<f8', true, 3, 3), new Uint8Array(70)),
      ];
      for (const bytes of bad) {
        const want = (await oldWay(file(bytes))).error;
        expect(want).not.toBeNull();
        for (const path of [file(bytes), fifo(bytes)]) {
          await expect(readNpyMatrix(la, path)).rejects.toThrow(want!.replace(/f\d+\.npy|p\d+\.npy/, path.split('/').pop()!));
        }
      }
      expect(la.liveBytes()).toBe(0);
    } finally {
      la.dispose();
    }
  });

  it('check sees the header before any storage is allocated; a shape it refuses allocates nothing', async () => {
    const la = await make();
    try {
      const path = file(craft(dictOf('<f4', false, 3, 4), randomBytes(48, 2)));
      await expect(readNpyMatrix(la, path, {
        check: (h) => {
          expect(la.liveBytes()).toBe(0);
          throw new Error(`refused ${h.shape.join('x')}`);
        },
      })).rejects.toThrow('refused 3x4');
      const one = file(craft("{'descr': '<f4', 'fortran_order': False, 'shape': (12,), }", randomBytes(48, 2)));
      await expect(readNpyMatrix(la, one)).rejects.toThrow('expected a 2-D array, got shape (12)');
      expect(la.liveBytes()).toBe(0);
    } finally {
      la.dispose();
    }
  });

  it('la.writeBytes and la.readBytes move raw bytes in pieces of whole elements, into views too', async () => {
    const la = await make();
    try {
      const M = la.matrix(5, 7, 'float64');
      const src = randomBytes(5 * 7 * 8, 3);
      let at = 0;
      const got = await la.writeBytes(M, async (dst) => {
        expect(dst.length % 8).toBe(0);
        const n = Math.min(dst.length, src.length - at);
        dst.set(src.subarray(at, at + n));
        at += n;
        return n;
      }, { chunkBytes: 20 });
      expect(got).toBe(src.length);
      expect(bytesOf(await la.read(M))).toEqual(src);
      const pieces: Uint8Array[] = [];
      for await (const p of la.readBytes(M, { chunkBytes: 24 })) pieces.push(p.slice());
      expect(pieces.map((p) => p.length)).toEqual([24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 16]);
      expect(new Uint8Array(pieces.flatMap((p) => Array.from(p)))).toEqual(src);
      // A row view is contiguous; a source that ends early reports what it gave.
      const row = M.view(2, 0, 1, 7);
      expect(await la.writeBytes(row, async (dst) => {
        dst.fill(0, 0, 12);
        return 12;
      })).toBe(12);
      expect(Array.from(await la.read(row.view(0, 0, 1, 1)))).toEqual([0]);
      await expect(la.writeBytes(M.view(0, 0, 2, 3), async () => 0)).rejects.toThrow(/contiguous/);
      await expect(la.writeBytes(M, async () => 99, { chunkBytes: 16 })).rejects.toThrow(/byte count/);
      M.free();
    } finally {
      la.dispose();
    }
  });
});

describe('npyHeaderBytes', () => {
  it('is what formatNpy puts before the data', () => {
    for (const shape of [[0], [3], [2, 3], [1, 1, 1], [100000, 7]]) {
      for (const T of [Float32Array, Float64Array]) {
        const data = new T(shape.reduce((a, b) => a * b, 1));
        const head = npyHeaderBytes(T === Float32Array ? 'float32' : 'float64', shape);
        expect(head.length % 64).toBe(0);
        expect(formatNpy(data, shape).subarray(0, head.length)).toEqual(head);
      }
    }
  });
});
