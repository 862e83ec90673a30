// Safetensors reading and writing: round trips of F32/F16/BF16 against a float64 reference
// rounding written plainly here, every validation rule (each case breaks only that rule, and the
// message must name the file and the problem), the real TinyStories Llama file against an
// independent parse, sharded checkpoints against the single file, and an independent numpy reader
// (skipped, saying why, when python3 cannot import numpy; required in CI).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentRangeError, ArgumentTypeError } from '../../src/core/errors.js';
import { bfloat16ToNumber, float16ToNumber, numberToBfloat16, numberToFloat16 } from '../../src/core/half.js';
import { type ByteSource, blobSource, bytesSource } from '../../src/io/byte-source.js';
import { writeFileAtomic, writeFileAtomicWith } from '../../src/io/atomic.js';
import { fileSource } from '../../src/io/node-byte-source.js';
import { INDEX_FILE, MAX_HEADER_BYTES, formatSafetensors, openCheckpoint, openSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { openCheckpointFolder, openSafetensorsFile, writeSafetensorsFile } from '../../src/io/safetensors-node.js';
import type { TensorDType } from '../../src/models/tensor-source.js';
import { NO_SHARED_DATA, SHARED_DATA, sharedData } from './shared-data.js';

// ---------------------------------------------------------------------------------------------
// Helpers.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const join8 = (chunks: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};

/** A file: the 8-byte length (or `n` as given), the header text as is, then `data` (bytes or a count of zeros). */
function craft(header: string | object, data: Uint8Array | number = 0, n?: number | bigint): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = new TextEncoder().encode(text);
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(n ?? h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

const open = (bytes: Uint8Array, name = 'bad.safetensors') => openSafetensors(bytesSource(bytes), name);

/** Rounds x to the nearest value with `mant` fraction bits, exponent ≥ minExp (ties to even); ±Inf past maxFinite. Plain float64 arithmetic. */
function roundRef(x: number, mant: number, minExp: number, maxFinite: number): number {
  if (Number.isNaN(x) || !Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (Math.max(e, minExp) - mant);
  const q = a / ulp, f = Math.floor(q);
  const r = q - f > 0.5 || (q - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  const v = r * ulp;
  const signed = x < 0 ? -v : v;
  return v > maxFinite ? (x < 0 ? -Infinity : Infinity) : signed;
}
const refF16 = (x: number) => roundRef(x, 10, -14, 65504);
const refBF16 = (x: number) => roundRef(x, 7, -126, 3.3895313892515355e38);
const ref = (dtype: TensorDType, x: number) => (dtype === 'F32' ? x : dtype === 'F16' ? refF16(x) : refBF16(x));

/** Float32 values over many magnitudes, with zeros, ties and (optionally) NaN and ±Inf. */
function sample(n: number, seed: number, special = true, maxExp = 15): Float32Array {
  const r = mulberry32(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = r();
    if (special && k < 0.02) a[i] = [0, -0, NaN, Infinity, -Infinity][Math.floor(r() * 5)];
    else if (k < 0.05) a[i] = (r() < 0.5 ? -1 : 1) * (Math.floor(r() * 2048) + 0.5) * 2 ** -24; // float16 subnormal ties
    else if (k < 0.15) {
      // Exactly halfway between two float16 neighbours (or bfloat16 ones): a tie to even.
      const e = Math.floor(r() * 20) - 10;
      a[i] = (r() < 0.5 ? -1 : 1) * (1 + (Math.floor(r() * 1024) + 0.5) / 1024) * 2 ** e;
    } else a[i] = (r() < 0.5 ? -1 : 1) * (1 + r()) * 2 ** (Math.floor(r() * (maxExp + 30)) - 30);
  }
  return a;
}

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

function expectValues(got: Float32Array, want: (i: number) => number, n: number) {
  expect(got.length).toBe(n);
  for (let i = 0; i < n; i++) {
    if (!same(got[i], want(i))) expect({ i, got: got[i] }).toEqual({ i, got: want(i) });
  }
}

/** A ByteSource over `bytes` that records every read. */
function recording(bytes: Uint8Array): ByteSource & { reads: [number, number][] } {
  const inner = bytesSource(bytes);
  const reads: [number, number][] = [];
  return { size: inner.size, reads, read: (o, l) => (reads.push([o, l]), inner.read(o, l)), close: () => inner.close() };
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'iobs-safetensors-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Round trips.

const SHAPES = [[], [0], [1], [7], [3, 5], [2, 3, 5], [1, 1, 1, 7], [4, 0, 3], [33, 17]];
const DTYPES: TensorDType[] = ['F32', 'F16', 'BF16'];

describe('writeSafetensors / openSafetensors round trips', () => {
  for (const dtype of DTYPES) {
    for (const seed of [1, 2, 3]) {
      it(`${dtype}, seed ${seed}, shapes ${SHAPES.map((s) => `[${s}]`).join(' ')}`, async () => {
        const tensors = SHAPES.map((shape, k) => ({
          name: `t${k}.weight`,
          dtype,
          shape,
          data: sample(shape.reduce((a, b) => a * b, 1), seed * 100 + k, true, dtype === 'F16' ? 15 : 100),
        }));
        const bytes = join8(formatSafetensors(tensors, { format: 'pt' }));
        const st = await open(bytes, 'round.safetensors');
        expect(st.names).toEqual(tensors.map((t) => t.name));
        expect({ ...st.metadata }).toEqual({ format: 'pt' });
        for (const t of tensors) {
          expect(st.info(t.name)).toEqual({ name: t.name, dtype, shape: t.shape });
          expectValues(await st.read(t.name), (i) => ref(dtype, t.data[i]), t.data.length);
        }
        await st.close();
      });
    }
  }

  it('the streaming writer produces the same bytes, calling each data function only when its turn comes', async () => {
    const tensors = SHAPES.map((shape, k) => ({ name: `t${k}`, dtype: DTYPES[k % 3], shape, data: sample(shape.reduce((a, b) => a * b, 1), k, false) }));
    const events: string[] = [];
    const chunks: Uint8Array[] = [];
    const total = await writeSafetensors(
      (c) => {
        events.push(`sink ${c.length}`);
        chunks.push(c);
      },
      tensors.map((t) => ({ ...t, data: async () => (events.push(`data ${t.name}`), t.data) })),
    );
    expect(join8(chunks)).toEqual(join8(formatSafetensors(tensors)));
    expect(total).toBe(join8(chunks).length);
    const want = [`sink ${chunks[0].length}`];
    tensors.forEach((t, k) => want.push(`data ${t.name}`, `sink ${chunks[k + 1].length}`));
    expect(events).toEqual(want);
  });

  it('matches the format reference implementation byte for byte (its documented serialization examples)', () => {
    // The Rust crate's own tests serialize attn.0 = F32 [1, 2, 3] of 0..5 to a 64-byte header and no
    // tensors to "{}" padded to 8, or to {"__metadata__":{"framework":"pt"}} padded to 40.
    const data = new Float32Array([0, 1, 2, 3, 4, 5]);
    const bytes = join8(formatSafetensors([{ name: 'attn.0', dtype: 'F32', shape: [1, 2, 3], data }]));
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(header.length).toBe(64);
    expect(bytes).toEqual(craft(header, new Uint8Array(data.buffer)));
    expect(join8(formatSafetensors([]))).toEqual(craft('{}      '));
    expect(join8(formatSafetensors([], { framework: 'pt' }))).toEqual(craft('{"__metadata__":{"framework":"pt"}}     '));
  });

  it('pads the header with spaces to a multiple of 8 and keeps the order given, integer-like names too', async () => {
    for (let len = 1; len <= 9; len++) {
      const name = 'x'.repeat(len);
      const bytes = join8(formatSafetensors([{ name, dtype: 'F16', shape: [1], data: new Float32Array([1]) }, { name: '10', dtype: 'F32', shape: [1], data: new Float32Array([2]) }, { name: '2', dtype: 'F32', shape: [0], data: new Float32Array(0) }]));
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(n % 8).toBe(0);
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(text.trimEnd()).toBe(`{"${name}":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"10":{"dtype":"F32","shape":[1],"data_offsets":[2,6]},"2":{"dtype":"F32","shape":[0],"data_offsets":[6,6]}}`);
      expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
      expect(bytes.length).toBe(8 + n + 6);
    }
  });

  it('reads every float16 and bfloat16 bit pattern exactly (as core/half.ts does; NaN payloads kept)', async () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const raw = new Uint8Array(all.buffer);
    for (const dtype of ['F16', 'BF16'] as const) {
      const st = await open(craft({ h: { dtype, shape: [256, 256], data_offsets: [0, 131072] } }, raw));
      const got = await st.read('h');
      const bits = new Uint32Array(got.buffer, got.byteOffset, got.length);
      for (let h = 0; h < 65536; h++) {
        const want = dtype === 'F16' ? float16ToNumber(h) : bfloat16ToNumber(h);
        if (!same(got[h], want)) expect({ h, got: got[h] }).toEqual({ h, got: want });
        const exp16 = dtype === 'F16' ? (h >> 10) & 0x1f : (h >> 7) & 0xff;
        const nan = dtype === 'F16' ? exp16 === 0x1f && (h & 0x3ff) !== 0 : exp16 === 0xff && (h & 0x7f) !== 0;
        if (nan) {
          // Sign and payload carried into the float32 NaN, as numpy's astype does.
          const payload = dtype === 'F16' ? (h & 0x3ff) << 13 : (h & 0x7f) << 16;
          expect(bits[h]).toBe((((h & 0x8000) << 16) | 0x7f800000 | payload) >>> 0);
        }
      }
    }
  });

  it('the bulk float32 → F16/BF16 conversion agrees with core/half.ts on every class of float32', async () => {
    const r = mulberry32(99);
    const n = 200_000;
    const bits = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      // Random exponents near the float16 range, random mantissas (ties included by chance and by hand).
      const exp = i % 4 === 0 ? Math.floor(r() * 256) : 100 + Math.floor(r() * 45);
      const mant = i % 7 === 0 ? (Math.floor(r() * 1024) << 13) | 0x1000 : Math.floor(r() * 0x800000);
      bits[i] = ((r() < 0.5 ? 0x80000000 : 0) | (exp << 23) | mant) >>> 0;
    }
    const x = new Float32Array(bits.buffer);
    // Ties among float16 subnormals and at the subnormal/normal boundary: (k + ½)·2⁻²⁴.
    for (let i = 0; i < n; i += 11) x[i] = (r() < 0.5 ? -1 : 1) * (Math.floor(r() * 2048) + 0.5) * 2 ** -24;
    for (const dtype of ['F16', 'BF16'] as const) {
      const finite = x.map((v) => (Math.abs(v) >= (dtype === 'F16' ? 65520 : 3.3e38) && Number.isFinite(v) ? 1 : v));
      const chunks = formatSafetensors([{ name: 'x', dtype, shape: [n], data: finite }]);
      const out = new Uint16Array(chunks[1].slice().buffer);
      for (let i = 0; i < n; i++) {
        const want = dtype === 'F16' ? numberToFloat16(finite[i]) : numberToBfloat16(finite[i]);
        const isNaN16 = dtype === 'F16' ? (out[i] & 0x7c00) === 0x7c00 && (out[i] & 0x3ff) !== 0 : (out[i] & 0x7f80) === 0x7f80 && (out[i] & 0x7f) !== 0;
        if (Number.isNaN(finite[i])) expect(isNaN16).toBe(true);
        else if (out[i] !== want) expect({ i, x: finite[i], got: out[i] }).toEqual({ i, x: finite[i], got: want });
      }
    }
  });

  it('reads F32 data that sits at any byte offset (copies a view it does not own)', async () => {
    const data = sample(13, 5, false);
    for (let pad = 0; pad < 8; pad++) {
      const header = JSON.stringify({ w: { dtype: 'F32', shape: [13], data_offsets: [0, 52] } }) + ' '.repeat(pad);
      const bytes = craft(header, new Uint8Array(data.buffer));
      // A source that hands out views into one shared buffer at the file's own offsets.
      const aliasing: ByteSource = { size: bytes.length, read: async (o, l) => bytes.subarray(o, o + l), close: async () => {} };
      for (const src of [bytesSource(bytes), aliasing]) {
        const st = await openSafetensors(src, 'pad.safetensors');
        const got = await st.read('w');
        expectValues(got, (i) => data[i], 13);
        if (src === aliasing) expect(got.buffer).not.toBe(bytes.buffer);
      }
    }
  });

  it('refuses a finite value that would overflow F16 or BF16, naming the tensor and index; keeps NaN and ±Inf', async () => {
    expect(() => formatSafetensors([{ name: 'big', dtype: 'F16', shape: [3], data: new Float32Array([1, 65520, 2]) }])).toThrow(
      /tensors\[0\]\.data\[1\].*"big".*would become infinite/,
    );
    expect(() => formatSafetensors([{ name: 'big', dtype: 'BF16', shape: [1], data: new Float32Array([3.4e38]) }])).toThrow(/would become infinite/);
    // 65519 rounds down to 65504: allowed.
    const ok = await open(join8(formatSafetensors([{ name: 'e', dtype: 'F16', shape: [4], data: new Float32Array([65519, NaN, Infinity, -Infinity]) }])));
    expectValues(await ok.read('e'), (i) => [65504, NaN, Infinity, -Infinity][i], 4);
  });

  it('validates what it writes, naming the argument', () => {
    const d = new Float32Array(2);
    const cases: [unknown, RegExp][] = [
      [[{ name: '', dtype: 'F32', shape: [2], data: d }], /tensors\[0\]\.name must be a non-empty string/],
      [[{ name: '__metadata__', dtype: 'F32', shape: [2], data: d }], /reserves it/],
      [[{ name: 'a', dtype: 'F32', shape: [2], data: d }, { name: 'a', dtype: 'F32', shape: [2], data: d }], /tensors\[1\]\.name .*no other tensor/],
      [[{ name: 'a\ud800', dtype: 'F32', shape: [2], data: d }], /lone surrogates/],
      [[{ name: 'a', dtype: 'F64', shape: [2], data: d }], /tensors\[0\]\.dtype must be one of F32, F16, BF16/],
      [[{ name: 'a', dtype: 'F32', shape: [3], data: d }], /tensors\[0\]\.data must be 3 values/],
      [[{ name: 'a', dtype: 'F32', shape: [-2], data: d }], /tensors\[0\]\.shape must be an array of non-negative integers/],
      [[{ name: 'a', dtype: 'F32', shape: [2], data: [0, 0] }], /tensors\[0\]\.data must be a Float32Array/],
    ];
    for (const [tensors, re] of cases) expect(() => formatSafetensors(tensors as never)).toThrow(re);
    expect(() => formatSafetensors([], { a: 1 } as never)).toThrow(/metadata\["a"\] must be a string/);
  });
});

// ---------------------------------------------------------------------------------------------
// Validation: each case breaks one rule; the message names the file and says what is wrong.

const F = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

const BAD: { what: string; bytes: () => Uint8Array; error: typeof ArgumentRangeError | typeof ArgumentTypeError; message: RegExp }[] = [
  { what: 'shorter than 8 bytes', bytes: () => new Uint8Array(5), error: ArgumentRangeError, message: /shorter than 8 bytes/ },
  { what: 'header length past the end', bytes: () => craft('{}', 0, 100), error: ArgumentRangeError, message: /header length .*runs past the end of the file/ },
  { what: 'header length with the high word set', bytes: () => craft('{}', 0, 2n ** 40n + 2n), error: ArgumentRangeError, message: /header length .*too large/ },
  { what: 'header not UTF-8', bytes: () => join8([craft('{"a":1}').subarray(0, 8), new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x20, 0x20, 0x20])]), error: ArgumentTypeError, message: /not valid UTF-8/ },
  { what: 'header not JSON', bytes: () => craft('{"a": '), error: ArgumentTypeError, message: /not JSON/ },
  { what: 'header with a byte-order mark', bytes: () => craft('\ufeff{}'), error: ArgumentTypeError, message: /not JSON/ },
  { what: 'header NUL-padded', bytes: () => craft('{}\0\0'), error: ArgumentTypeError, message: /not JSON/ },
  { what: 'header an array', bytes: () => craft('[1, 2]'), error: ArgumentTypeError, message: /header must be a JSON object/ },
  { what: 'header null', bytes: () => craft('null'), error: ArgumentTypeError, message: /header must be a JSON object/ },
  { what: '__metadata__ a string', bytes: () => craft({ __metadata__: 'pt' }), error: ArgumentTypeError, message: /__metadata__ must be an object of string values/ },
  { what: '__metadata__ with a number', bytes: () => craft({ __metadata__: { format: 1 } }), error: ArgumentTypeError, message: /__metadata__\["format"\] must be a string/ },
  { what: 'entry not an object', bytes: () => craft({ w: [0, 4] }), error: ArgumentTypeError, message: /tensor "w" must be an object \{dtype, shape, data_offsets\}/ },
  { what: 'entry without data_offsets', bytes: () => craft({ w: { dtype: 'F32', shape: [1] } }, 4), error: ArgumentTypeError, message: /tensor "w"\.data_offsets must be present/ },
  { what: 'entry without dtype', bytes: () => craft({ w: { shape: [1], data_offsets: [0, 4] } }, 4), error: ArgumentTypeError, message: /tensor "w"\.dtype must be present/ },
  { what: 'dtype not a string', bytes: () => craft({ w: F(7 as never, [1], [0, 4]) }, 4), error: ArgumentTypeError, message: /"w"\.dtype must be a dtype name/ },
  { what: 'unknown dtype', bytes: () => craft({ w: F('F31', [1], [0, 4]) }, 4), error: ArgumentRangeError, message: /"w"\.dtype .*unknown dtype.*got "F31"/ },
  { what: 'lower-case dtype', bytes: () => craft({ w: F('f32', [1], [0, 4]) }, 4), error: ArgumentRangeError, message: /unknown dtype.*did you mean 'F32'/ },
  { what: 'shape not an array', bytes: () => craft({ w: F('F32', 1, [0, 4]) }, 4), error: ArgumentTypeError, message: /"w"\.shape must be an array/ },
  { what: 'negative dimension', bytes: () => craft({ w: F('F32', [2, -1], [0, 0]) }), error: ArgumentRangeError, message: /"w"\.shape\[1\] must be a non-negative integer/ },
  { what: 'fractional dimension', bytes: () => craft({ w: F('F32', [1.5], [0, 6]) }, 6), error: ArgumentRangeError, message: /"w"\.shape\[0\] must be a non-negative integer/ },
  { what: 'dimension beyond 2^53', bytes: () => craft('{"w":{"dtype":"U8","shape":[9007199254740993],"data_offsets":[0,0]}}'), error: ArgumentRangeError, message: /shape\[0\] must be a non-negative integer below 2\^53/ },
  { what: 'dimension a string', bytes: () => craft({ w: F('F32', ['2'], [0, 8]) }, 8), error: ArgumentTypeError, message: /"w"\.shape\[0\] must be a non-negative integer/ },
  { what: 'element count overflows', bytes: () => craft({ w: F('U8', [2 ** 30, 2 ** 30, 2 ** 30], [0, 8]) }, 8), error: ArgumentRangeError, message: /element count overflows/ },
  { what: 'bytes overflow 2^53 (count safe)', bytes: () => craft({ w: F('F64', [2 ** 52], [0, 8]) }, 8), error: ArgumentRangeError, message: /a span of 36028797018963968 bytes/ },
  { what: 'sub-byte dtype not filling whole bytes', bytes: () => craft({ w: F('F4', [3], [0, 2]) }, 2), error: ArgumentRangeError, message: /3 F4 elements fill whole bytes/ },
  { what: 'size disagrees with offsets', bytes: () => craft({ w: F('F32', [2], [0, 4]) }, 4), error: ArgumentRangeError, message: /"w"\.data_offsets must be a span of 8 bytes/ },
  { what: 'offsets not a pair', bytes: () => craft({ w: F('F32', [1], [0, 4, 8]) }, 4), error: ArgumentTypeError, message: /"w"\.data_offsets must be a pair/ },
  { what: 'negative offset', bytes: () => craft({ w: F('F32', [1], [-4, 0]) }, 4), error: ArgumentRangeError, message: /"w"\.data_offsets must be non-negative integer byte offsets/ },
  { what: 'offset beyond 2^53', bytes: () => craft({ w: F('F32', [0], [1e300, 1e300]) }), error: ArgumentRangeError, message: /non-negative integer byte offsets below 2\^53/ },
  { what: 'end before begin', bytes: () => craft({ w: F('U8', [0], [4, 0]) }, 4), error: ArgumentRangeError, message: /begin ≤ end/ },
  { what: 'a gap between tensors', bytes: () => craft({ a: F('F32', [1], [0, 4]), b: F('F32', [1], [8, 12]) }, 12), error: ArgumentRangeError, message: /tensor "b"\.data_offsets .*a gap: bytes 4\.\.8/ },
  { what: 'a gap at the start', bytes: () => craft({ a: F('F32', [1], [4, 8]) }, 8), error: ArgumentRangeError, message: /tensor "a"\.data_offsets .*a gap: bytes 0\.\.4/ },
  { what: 'overlapping tensors', bytes: () => craft({ a: F('F32', [2], [0, 8]), b: F('F32', [2], [4, 12]) }, 12), error: ArgumentRangeError, message: /tensor "b"\.data_offsets .*an overlap: bytes 4\.\.8/ },
  { what: 'the same offsets twice', bytes: () => craft({ a: F('F32', [1], [0, 4]), b: F('F32', [1], [0, 4]) }, 4), error: ArgumentRangeError, message: /an overlap/ },
  { what: 'a duplicate key (the last wins, leaving a gap)', bytes: () => craft('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8), error: ArgumentRangeError, message: /a gap: bytes 0\.\.4/ },
  { what: 'trailing bytes after the last tensor', bytes: () => craft({ a: F('F32', [1], [0, 4]) }, 5), error: ArgumentRangeError, message: /data section must be exactly 4 bytes.*1 trailing bytes/ },
  { what: 'truncated data section', bytes: () => craft({ a: F('F32', [2], [0, 8]) }, 7), error: ArgumentRangeError, message: /data section must be 8 bytes.*truncated \(1 bytes missing\)/ },
  { what: 'data but no tensors', bytes: () => craft({}, 1), error: ArgumentRangeError, message: /1 trailing bytes/ },
];

describe('openSafetensors refuses malformed files, naming the file and the problem', () => {
  for (const c of BAD) {
    it(c.what, async () => {
      const src = recording(c.bytes());
      const err = await openSafetensors(src, 'bad.safetensors').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(c.error);
      expect((err as Error).message).toMatch(/^openSafetensors: argument bad\.safetensors: /);
      expect((err as Error).message).toMatch(c.message);
      // Nothing but the prefix and the header is read, and never past the end.
      for (const [o, l] of src.reads) expect(o + l).toBeLessThanOrEqual(src.size);
    });
  }

  it('refuses a header over 100,000,000 bytes without reading or allocating it, even when the file is that large', async () => {
    const n = MAX_HEADER_BYTES + 1;
    const reads: [number, number][] = [];
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(n), true);
    const huge: ByteSource = {
      size: 2 * n,
      read: async (o, l) => (reads.push([o, l]), o === 0 && l === 8 ? prefix.slice() : new Uint8Array(l).fill(0x20)),
      close: async () => {},
    };
    await expect(openSafetensors(huge, 'huge.safetensors')).rejects.toThrow(/huge\.safetensors: header length must be at most 100000000 bytes .*too large; got 100000001/);
    expect(reads).toEqual([[0, 8]]);
    // At the limit it is read (and here refused as not JSON: all spaces).
    new DataView(prefix.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES), true);
    reads.length = 0;
    await expect(openSafetensors(huge, 'huge.safetensors')).rejects.toThrow(/not JSON/);
    expect(reads).toEqual([[0, 8], [8, MAX_HEADER_BYTES]]);
  });

  it('accepts what the format allows: space padding, extra keys in an entry, empty tensors, null metadata, any key order', async () => {
    const st = await open(
      craft(
        '{"b":{"shape":[2],"data_offsets":[4,12],"dtype":"F32","extra":{"x":1}},"e":{"dtype":"F16","shape":[3,0],"data_offsets":[4,4]},"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"__metadata__":null}   \t\n ',
        new Uint8Array([0x80, 0x3f, 0x00, 0xc0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]),
      ),
      'ok.safetensors',
    );
    expect(st.names).toEqual(['a', 'e', 'b']); // storage order
    expect({ ...st.metadata }).toEqual({});
    expectValues(await st.read('a'), (i) => [1, -2][i], 2);
    expectValues(await st.read('e'), () => 0, 0);
    expectValues(await st.read('b'), (i) => [1, 2][i], 2);
    expect(st.byteRange('b')).toEqual({ offset: st.dataStart + 4, length: 8 });
  });

  it('lists tensors of other known dtypes but refuses to info() or read() them (unsupported dtype)', async () => {
    const st = await open(craft({ ids: F('I64', [2], [0, 16]), q: F('F4', [4], [16, 18]), w: F('F32', [1], [18, 22]) }, 22), 'mixed.safetensors');
    expect(st.names).toEqual(['ids', 'q', 'w']);
    expect(st.entry('ids')).toMatchObject({ dtype: 'I64', shape: [2], count: 2, begin: 0, end: 16 });
    expect(() => st.info('ids')).toThrow(ArgumentRangeError);
    expect(() => st.info('ids')).toThrow(/mixed\.safetensors: tensor "ids"\.dtype must be one of F32, F16, BF16 \(unsupported dtype/);
    await expect(st.read('q')).rejects.toThrow(/"q"\.dtype .*unsupported dtype.*got "F4"/);
    expect(st.info('w')).toEqual({ name: 'w', dtype: 'F32', shape: [1] });
  });

  it('names a missing tensor (with a suggestion), and refuses reads after close', async () => {
    const st = await open(craft({ 'model.norm.weight': F('F32', [1], [0, 4]) }, 4), 'm.safetensors');
    expect(() => st.info('model.norm.weigth')).toThrow(/argument name must be the name of a tensor in m\.safetensors \(no tensor by that name\); did you mean 'model\.norm\.weight'\?/);
    await expect(st.read('nope')).rejects.toThrow(ArgumentRangeError);
    await st.close();
    await expect(st.read('model.norm.weight')).rejects.toThrow(/close\(\) was called/);
  });
});

// ---------------------------------------------------------------------------------------------
// Byte sources.

describe('byte sources', () => {
  it('bytesSource, blobSource and fileSource read the same ranges and refuse ranges outside [0, size)', async () => {
    const bytes = new Uint8Array(100).map((_, i) => i);
    const path = join(tmp, 'bytes.bin');
    await writeFile(path, bytes);
    for (const src of [bytesSource(bytes), blobSource(new Blob([bytes])), await fileSource(path)]) {
      expect(src.size).toBe(100);
      expect(await src.read(10, 5)).toEqual(new Uint8Array([10, 11, 12, 13, 14]));
      expect(await src.read(100, 0)).toEqual(new Uint8Array(0));
      const r = await src.read(0, 4);
      r[0] = 99; // fresh: changing it changes nothing
      expect((await src.read(0, 1))[0]).toBe(0);
      await expect(src.read(98, 3)).rejects.toThrow(/length must be at most 2/);
      await expect(src.read(101, 0)).rejects.toThrow(/offset must be at most the source's size/);
      await expect(src.read(-1, 1)).rejects.toThrow(/offset must be an integer in/);
      await expect(src.read(1.5, 1)).rejects.toThrow(ArgumentTypeError);
      await src.close();
      await expect(src.read(0, 1)).rejects.toThrow(/close\(\) was called/);
    }
  });

  it('fileSource refuses a directory and passes on the system error for a missing file', async () => {
    await expect(fileSource(tmp)).rejects.toThrow(/a regular file/);
    await expect(fileSource(join(tmp, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

// ---------------------------------------------------------------------------------------------
// The real TinyStories Llama checkpoint.

const LLAMA = ['input_layernorm', 'mlp.down_proj', 'mlp.gate_proj', 'mlp.up_proj', 'post_attention_layernorm', 'self_attn.k_proj', 'self_attn.o_proj', 'self_attn.q_proj', 'self_attn.v_proj'];
const LLAMA_SHAPES: Record<string, number[]> = {
  input_layernorm: [128], 'mlp.down_proj': [128, 384], 'mlp.gate_proj': [384, 128], 'mlp.up_proj': [384, 128], post_attention_layernorm: [128],
  'self_attn.k_proj': [64, 128], 'self_attn.o_proj': [128, 128], 'self_attn.q_proj': [128, 128], 'self_attn.v_proj': [64, 128],
};
const EXPECTED = [
  ['lm_head.weight', [2048, 128]],
  ...[0, 1].flatMap((l) => LLAMA.map((t) => [`model.layers.${l}.${t}.weight`, LLAMA_SHAPES[t]])),
  ['model.norm.weight', [128]],
] as [string, number[]][];

/** The real file parsed here by hand: JSON.parse of the header, DataView for the floats. */
function parsePlainly(bytes: Uint8Array): Map<string, { shape: number[]; values: Float32Array }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [k, v] of Object.entries(header) as [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][]) {
    if (k === '__metadata__') continue;
    expect(v.dtype).toBe('F32');
    const count = (v.data_offsets[1] - v.data_offsets[0]) / 4;
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(8 + n + v.data_offsets[0] + 4 * i, true);
    out.set(k, { shape: v.shape, values });
  }
  return out;
}

describe(`the TinyStories Llama checkpoint${NO_SHARED_DATA}`, () => {
  const dir = SHARED_DATA ? sharedData('tinystories-llama') : '';
  const file = SHARED_DATA ? sharedData('tinystories-llama/model.safetensors') : '';

  it.skipIf(!SHARED_DATA)('lists the Llama tensors and shapes, and reads values equal to an independent parse', async () => {
    const plain = parsePlainly(new Uint8Array(await readFile(file)));
    const st = await openSafetensorsFile(file);
    expect(st.names.map((n) => [n, st.info(n).shape])).toEqual(EXPECTED);
    expect({ ...st.metadata }).toEqual({ format: 'pt', 'model.embed_tokens.weight': 'lm_head.weight' });
    for (const name of st.names) {
      expect(st.info(name).dtype).toBe('F32');
      const got = await st.read(name);
      const want = plain.get(name)!;
      expect(want.shape).toEqual(st.info(name).shape);
      expect(Buffer.compare(new Uint8Array(got.buffer, got.byteOffset, got.byteLength), new Uint8Array(want.values.buffer))).toBe(0);
    }
    await st.close();
  });

  it.skipIf(!SHARED_DATA)('reads only the prefix, the header and then each tensor by offset', async () => {
    const bytes = new Uint8Array(await readFile(file));
    const src = recording(bytes);
    const st = await openSafetensors(src, 'model.safetensors');
    expect(src.reads).toEqual([[0, 8], [8, st.dataStart - 8]]);
    await st.read('model.norm.weight');
    expect(src.reads[2]).toEqual([bytes.length - 512, 512]);
    // A Blob reads the same.
    const viaBlob = await openSafetensors(blobSource(new Blob([bytes])), 'model.safetensors');
    expect(await viaBlob.read('model.layers.1.self_attn.q_proj.weight')).toEqual(await st.read('model.layers.1.self_attn.q_proj.weight'));
  });

  it.skipIf(!SHARED_DATA)('openCheckpointFolder reads the single file when there is no index', async () => {
    const ckpt = await openCheckpointFolder(dir);
    expect(ckpt.files).toEqual(['model.safetensors']);
    expect({ ...ckpt.metadata }).toEqual({ format: 'pt', 'model.embed_tokens.weight': 'lm_head.weight' });
    expect(ckpt.names).toEqual(EXPECTED.map(([n]) => n));
    expect(ckpt.fileOf('model.norm.weight')).toBe('model.safetensors');
    await ckpt.close();
  });

  it.skipIf(!SHARED_DATA)('a checkpoint written as 3 shards and an index reads the same as the one file', async () => {
    const st = await openSafetensorsFile(file);
    const shardDir = join(tmp, 'sharded');
    await mkdir(shardDir, { recursive: true });
    const names = [...st.names];
    const groups = [names.slice(0, 7), names.slice(7, 14), names.slice(14)];
    const weightMap: Record<string, string> = {};
    for (let s = 0; s < 3; s++) {
      const shard = `model-0000${s + 1}-of-00003.safetensors`;
      // Mixed dtypes are fine; keep F32 so that the values compare exactly.
      await writeSafetensorsFile(join(shardDir, shard), groups[s].map((n) => ({ name: n, dtype: 'F32', shape: st.info(n).shape, data: () => st.read(n) })), { format: 'pt' });
      for (const n of groups[s]) weightMap[n] = shard;
    }
    // Index order differs from storage order (sorted by name, as transformers writes it).
    const sortedMap = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : 1)));
    await writeFile(join(shardDir, INDEX_FILE), JSON.stringify({ metadata: { total_size: 2624000 }, weight_map: sortedMap }, null, 2));
    expect((await readdir(shardDir)).sort()).toEqual([INDEX_FILE, 'model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors'].sort());

    const ckpt = await openCheckpointFolder(shardDir);
    expect(ckpt.files).toHaveLength(3);
    expect({ ...ckpt.metadata }).toEqual({ format: 'pt' });
    expect([...ckpt.names].sort()).toEqual([...names].sort());
    for (const n of names) {
      expect(ckpt.info(n)).toEqual(st.info(n));
      expect(ckpt.fileOf(n)).toBe(weightMap[n]);
      expect(sha(await ckpt.read(n))).toBe(sha(await st.read(n)));
    }
    await ckpt.close();
    await expect(ckpt.read(names[0])).rejects.toThrow(/close\(\) was called/);
    await st.close();
  });
});

// ---------------------------------------------------------------------------------------------
// Checkpoint errors, in memory.

describe('openCheckpoint errors', () => {
  const shard = (tensors: Record<string, number>) =>
    join8(formatSafetensors(Object.entries(tensors).map(([name, n]) => ({ name, dtype: 'F32' as const, shape: [n], data: new Float32Array(n) }))));
  const folder = (files: Record<string, Uint8Array | string>) => async (p: string) => {
    const f = files[p];
    return f === undefined ? null : bytesSource(typeof f === 'string' ? new TextEncoder().encode(f) : f);
  };
  const index = (m: Record<string, string>) => JSON.stringify({ metadata: {}, weight_map: m });

  const CASES: [string, Record<string, Uint8Array | string>, RegExp][] = [
    ['neither file', {}, /neither model\.safetensors\.index\.json nor model\.safetensors/],
    ['a shard path with a folder', { [INDEX_FILE]: index({ a: 'sub/x.safetensors' }) }, /weight_map\["a"\] must be a plain file name .*got "sub\/x\.safetensors"/],
    ['a shard path with ..', { [INDEX_FILE]: index({ a: '..' }) }, /weight_map\["a"\] must be a plain file name/],
    ['a shard path with a backslash', { [INDEX_FILE]: index({ a: '..\\x' }) }, /plain file name/],
    ['a shard path not a string', { [INDEX_FILE]: index({ a: 3 } as never) }, /weight_map\["a"\] must be a file name/],
    ['an index without weight_map', { [INDEX_FILE]: '{"metadata":{}}' }, /weight_map must be an object/],
    ['an index not JSON', { [INDEX_FILE]: '{' }, /model\.safetensors\.index\.json must be UTF-8 JSON/],
    ['a missing shard', { [INDEX_FILE]: index({ a: 'x.safetensors' }) }, /x\.safetensors is missing/],
    ['a tensor the shard lacks', { [INDEX_FILE]: index({ a: 'x.safetensors', b: 'x.safetensors' }), 'x.safetensors': shard({ a: 2 }) }, /weight_map\["b"\] .*x\.safetensors has no tensor "b"/],
    ['a tensor the index does not name', { [INDEX_FILE]: index({ a: 'x.safetensors' }), 'x.safetensors': shard({ a: 2, c: 1 }) }, /x\.safetensors: tensor "c" .*does not name it/],
    ['a tensor in the wrong shard', { [INDEX_FILE]: index({ a: 'x.safetensors', b: 'y.safetensors' }), 'x.safetensors': shard({ a: 2, b: 1 }), 'y.safetensors': shard({ b: 1 }) }, /maps it to y\.safetensors/],
    ['a malformed shard', { [INDEX_FILE]: index({ a: 'x.safetensors' }), 'x.safetensors': new Uint8Array(3) }, /openSafetensors: argument x\.safetensors: size/],
  ];
  for (const [what, files, re] of CASES) {
    it(what, async () => {
      const opened: string[] = [], closed: string[] = [];
      const open = async (p: string) => {
        const s = await folder(files)(p);
        if (s) opened.push(p);
        return s && { size: s.size, read: s.read, close: async () => void closed.push(p) };
      };
      const err = await openCheckpoint(open).then(() => null, (e: unknown) => e);
      expect(err).toSatisfy((e: unknown) => e instanceof ArgumentRangeError || e instanceof ArgumentTypeError);
      expect((err as Error).message).toMatch(re);
      // Every file it opened is closed again.
      expect(closed.sort()).toEqual(opened.sort());
    });
  }

  it('reads across shards', async () => {
    const ckpt = await openCheckpoint(folder({ [INDEX_FILE]: index({ b: 'y.st', a: 'x.st' }), 'x.st': shard({ a: 2 }), 'y.st': shard({ b: 3 }) }));
    expect(ckpt.names).toEqual(['b', 'a']);
    expect(ckpt.files).toEqual(['y.st', 'x.st']);
    expect(await ckpt.read('b')).toEqual(new Float32Array(3));
    expect(() => ckpt.info('c')).toThrow(/no tensor by that name/);
  });
});

// ---------------------------------------------------------------------------------------------
// The atomic file writer.

describe('writeSafetensorsFile', () => {
  it('replaces a file atomically and leaves it intact (and no temporary file) when a tensor fails', async () => {
    const dir = join(tmp, 'atomic');
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'w.safetensors');
    const size = await writeSafetensorsFile(path, [{ name: 'a', dtype: 'F16', shape: [2], data: new Float32Array([1, 2]) }]);
    const before = await readFile(path);
    expect(size).toBe(before.length);
    await expect(
      writeSafetensorsFile(path, [
        { name: 'a', dtype: 'F32', shape: [2], data: new Float32Array([3, 4]) },
        { name: 'b', dtype: 'F32', shape: [2], data: () => new Float32Array(3) },
      ]),
    ).rejects.toThrow(/tensors\[1\]\.data must be 2 values/);
    expect(await readFile(path)).toEqual(before);
    expect(await readdir(dir)).toEqual(['w.safetensors']);
    const st = await openSafetensorsFile(path);
    expect(await st.read('a')).toEqual(new Float32Array([1, 2]));
    await st.close();
  });
});

describe('writeFileAtomicWith (and writeFileAtomic, now a wrapper over it)', () => {
  it('writes the chunks in order, keeps a symlink and the mode, and leaves nothing behind on failure', async () => {
    const dir = join(tmp, 'atomic-with');
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'f.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2]));
    await chmod(path, 0o640);
    await symlink('f.bin', join(dir, 'link.bin'));
    await writeFileAtomicWith(join(dir, 'link.bin'), async (put) => {
      await put(new Uint8Array([3]));
      await put(new Uint8Array(0));
      await put(new Uint8Array([4, 5]));
    });
    expect([...(await readFile(path))]).toEqual([3, 4, 5]);
    expect((await lstat(join(dir, 'link.bin'))).isSymbolicLink()).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    await expect(writeFileAtomicWith(path, async (put) => {
      await put(new Uint8Array([9]));
      throw new Error('producer failed');
    })).rejects.toThrow('producer failed');
    await expect(writeFileAtomicWith(path, (put) => put([1] as never))).rejects.toThrow(/chunk must be a Uint8Array/);
    expect([...(await readFile(path))]).toEqual([3, 4, 5]);
    expect((await readdir(dir)).sort()).toEqual(['f.bin', 'link.bin']);
  });
});

// ---------------------------------------------------------------------------------------------
// An independent reader: numpy.

const numpyCheck = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
const numpySkip =
  numpyCheck.error || numpyCheck.status !== 0
    ? `python3 -c "import numpy" failed (${numpyCheck.error?.message ?? numpyCheck.stderr.trim().split('\n').pop()})`
    : '';
if (numpySkip && process.env.CI) throw new Error(`safetensors.test.ts: numpy is required in CI: ${numpySkip}`);
if (numpySkip) console.warn(`safetensors.test.ts: skipping the numpy reader: ${numpySkip}`);

// Reads a safetensors file with struct + json + numpy only and prints, for every tensor, the
// sha256 of its values as little-endian float32 (F16 widened by numpy, BF16 by a 16-bit shift).
const NUMPY_READER = String.raw`
import hashlib, json, struct, sys
import numpy as np
with open(sys.argv[1], "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n].decode("utf-8"))
data = raw[8 + n:]
out = {}
for name, t in header.items():
    if name == "__metadata__":
        continue
    b, e = t["data_offsets"]
    chunk = data[b:e]
    if t["dtype"] == "F32":
        v = np.frombuffer(chunk, dtype="<f4")
    elif t["dtype"] == "F16":
        v = np.frombuffer(chunk, dtype="<f2").astype("<f4")
    elif t["dtype"] == "BF16":
        v = (np.frombuffer(chunk, dtype="<u2").astype("<u4") << 16).view("<f4")
    else:
        raise SystemExit("unexpected dtype " + t["dtype"])
    assert v.size == int(np.prod(t["shape"], dtype=np.int64)), name
    out[name] = [list(t["shape"]), t["dtype"], hashlib.sha256(v.astype("<f4").tobytes()).hexdigest()]
print(json.dumps(out))
`;

function numpyRead(path: string): Record<string, [number[], string, string]> {
  const r = spawnSync('python3', ['-c', NUMPY_READER, path], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`numpy reader failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const sha = (a: Float32Array) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

describe(`an independent numpy reader agrees bit for bit${numpySkip ? ` (skipped: ${numpySkip})` : ''}`, () => {
  it.skipIf(!!numpySkip)('on a file our writer produced (F32, F16, BF16; NaN, ±Inf, ties, subnormals)', async () => {
    const tensors = SHAPES.flatMap((shape, k) =>
      DTYPES.map((dtype) => ({ name: `${dtype}.${k}`, dtype, shape, data: sample(shape.reduce((a, b) => a * b, 1), 1000 + k, true, dtype === 'F16' ? 15 : 100) })),
    );
    const path = join(tmp, 'numpy.safetensors');
    await writeSafetensorsFile(path, tensors);
    const py = numpyRead(path);
    const st = await openSafetensorsFile(path);
    expect(Object.keys(py).sort()).toEqual(tensors.map((t) => t.name).sort());
    for (const t of tensors) {
      const ours = await st.read(t.name);
      expect(py[t.name]).toEqual([t.shape, t.dtype, sha(ours)]);
      // And what numpy read is the reference rounding of what was written (NaN aside: compared above).
      expectValues(ours, (i) => ref(t.dtype, t.data[i]), t.data.length);
    }
    await st.close();
  });

  it.skipIf(!!numpySkip || !SHARED_DATA)('on the real TinyStories Llama file', async () => {
    const file = sharedData('tinystories-llama/model.safetensors');
    const py = numpyRead(file);
    const st = await openSafetensorsFile(file);
    expect(Object.keys(py).sort()).toEqual([...st.names].sort());
    for (const n of st.names) expect(py[n]).toEqual([st.info(n).shape, 'F32', sha(await st.read(n))]);
    await st.close();
  });
});
