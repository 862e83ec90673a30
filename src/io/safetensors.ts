// Safetensors files (Hugging Face's checkpoint format): a strict reader that takes the header
// first and then one tensor at a time by offset, a writer that streams tensor by tensor, and
// sharded checkpoints (model.safetensors.index.json). Platform-neutral: bytes come through a
// ByteSource (byte-source.ts); the Node file helpers are in safetensors-node.ts.
//
// Layout: an unsigned 64-bit little-endian N, then N bytes of UTF-8 JSON (padded with spaces),
// then the data section. The JSON is an object: an optional "__metadata__" (string → string) and,
// for every tensor, {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, the offsets
// in bytes from the start of the data section. Elements are little-endian, C order.
//
// What the reader checks, as the format's own (Rust) implementation does: N at most 100,000,000
// and 8 + N within the file (both before anything of size N is read or allocated); the header
// valid UTF-8 and JSON; every entry's dtype a known name and its shape non-negative integers whose
// element count times the element size is end − begin (no overflow: counts are checked against
// 2^53 and the product taken exactly); the entries, sorted by offset, tiling the data section from
// 0 with no gap and no overlap, and the last end exactly the data section's length. Unknown keys
// inside an entry are ignored (as the Rust crate's serde does). Tensors of a known dtype other than
// F32, F16 and BF16 open and are listed, but info() and read() refuse them ("unsupported dtype"):
// entry() describes them. Duplicate keys in the JSON: the last wins, as with JSON.parse and
// serde_json; the first one's bytes are then a gap, which is an error.

import { type ByteSource, checkOpen } from './byte-source.js';
import { didYouMean, rangeError, show, typeError } from '../core/errors.js';
import type { TensorDType, TensorInfo, TensorSource } from '../models/tensor-source.js';

/**
 * Every dtype the format knows (as of safetensors 0.6), with its size in bits. F4 and F6 are
 * packed below a byte; a tensor of them must fill whole bytes.
 */
export const SAFETENSORS_DTYPE_BITS = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64,
} as const;

/** A dtype name the format knows (not all of which this library reads). */
export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPE_BITS;

/** The dtypes read() converts to float32 and the writer produces. */
export const SUPPORTED_DTYPES: readonly TensorDType[] = ['F32', 'F16', 'BF16'];

/** The largest header the format allows (the Rust crate's limit), in bytes. */
export const MAX_HEADER_BYTES = 100_000_000;

const KNOWN = Object.keys(SAFETENSORS_DTYPE_BITS) as SafetensorsDType[];
const NATIVE_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One tensor as the header describes it: any known dtype, offsets within the data section. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** Element count (the product of the shape). */
  readonly count: number;
  /** Byte offsets of the tensor within the data section: [begin, end). */
  readonly begin: number;
  readonly end: number;
}

/** An open safetensors file: a TensorSource, plus what else the header says. */
export interface SafetensorsFile extends TensorSource {
  /** The name the file was opened under (used in every error). */
  readonly fileName: string;
  /** The header's "__metadata__" (empty when there is none); a null-prototype object. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Where the data section starts in the file: 8 + the header length. */
  readonly dataStart: number;
  /** A tensor's header entry, whatever its dtype; throws a RangeError when there is none. */
  entry(name: string): SafetensorsEntry;
  /** Where a tensor's bytes lie in the file (absolute offset and length). */
  byteRange(name: string): { offset: number; length: number };
}

// ---------------------------------------------------------------------------------------------
// Conversions between float32 and the 16-bit formats, on whole arrays.

let f16Table: Uint32Array | undefined;

/**
 * float32 bit patterns of all 65536 float16 bit patterns, built once (exact; NaN payloads kept).
 * Bits, not values: a signalling NaN passed through a JS number may come back quieted.
 */
function float16Table(): Uint32Array {
  if (f16Table) return f16Table;
  const bits = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    let b: number;
    if (exp === 0x1f) b = sign | 0x7f800000 | (mant << 13);
    else if (exp !== 0) b = sign | ((exp + 112) << 23) | (mant << 13);
    else if (mant === 0) b = sign;
    else {
      // Subnormal: mant·2⁻²⁴ = 2^(p−24)·(mant/2^p) with p the top bit of mant.
      const p = 31 - Math.clz32(mant);
      b = sign | ((p + 103) << 23) | ((mant << (23 - p)) & 0x7fffff);
    }
    bits[h] = b >>> 0;
  }
  return (f16Table = bits);
}

/**
 * The float16 bit pattern nearest a float32 bit pattern (ties to even); overflow gives ±Inf and a
 * NaN stays a quiet NaN. Agrees with numberToFloat16 in core/half.ts (which the tests check).
 */
function float32BitsToFloat16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff, mant = x & 0x7fffff;
  if (exp === 0xff) return mant ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  const e = exp - 112; // the float16 exponent field, if normal
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (exp < 102) return sign; // below 2⁻²⁵: rounds to zero
    // In units of 2⁻²⁴ the value is m·2^(exp−126): shift right by 126 − exp (14 to 24).
    const m = mant | 0x800000, shift = 126 - exp;
    let q = m >>> shift;
    const r = m & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (r > half || (r === half && (q & 1))) q++;
    return sign | q; // q may reach 0x400, the smallest normal: the encoding carries over
  }
  let q = (e << 10) | (mant >>> 13);
  const r = mant & 0x1fff;
  if (r > 0x1000 || (r === 0x1000 && (q & 1))) q++; // may carry into the exponent, up to Inf
  return sign | q;
}

/** The bfloat16 bit pattern nearest a float32 bit pattern (ties to even); NaN stays quiet NaN. */
function float32BitsToBfloat16(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Little-endian bytes of `data` stored as `dtype`; the index of a finite value that overflowed, or -1. */
function encode(dtype: TensorDType, data: Float32Array): { bytes: Uint8Array; overflow: number } {
  const n = data.length;
  if (dtype === 'F32') {
    const bytes = new Uint8Array(n * 4);
    if (NATIVE_LITTLE) bytes.set(new Uint8Array(data.buffer, data.byteOffset, n * 4));
    else {
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < n; i++) view.setFloat32(i * 4, data[i], true);
    }
    return { bytes, overflow: -1 };
  }
  const bits = new Uint32Array(data.buffer, data.byteOffset, n);
  const bytes = new Uint8Array(n * 2);
  const convert = dtype === 'F16' ? float32BitsToFloat16 : float32BitsToBfloat16;
  const infExp = dtype === 'F16' ? 0x7c00 : 0x7f80;
  let overflow = -1;
  for (let i = 0; i < n; i++) {
    const x = bits[i];
    const h = convert(x);
    bytes[2 * i] = h & 0xff;
    bytes[2 * i + 1] = h >>> 8;
    if (overflow < 0 && (h & 0x7fff) === infExp && (x & 0x7f800000) !== 0x7f800000) overflow = i;
  }
  return { bytes, overflow };
}

/** float32 values of `count` little-endian elements of `dtype` in `bytes` (which this may keep). */
function decode(dtype: TensorDType, bytes: Uint8Array, count: number): Float32Array {
  if (dtype === 'F32') {
    // A view only of a buffer that is wholly these bytes (the source's fresh copy); else a copy.
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    if (NATIVE_LITTLE) {
      if (owned) return new Float32Array(bytes.buffer, 0, count);
      const out = new Float32Array(count);
      new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
      return out;
    }
    const out = new Float32Array(count);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  if (dtype === 'F16') {
    const table = float16Table();
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = table[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
    return new Float32Array(out.buffer);
  }
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = (bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16;
  return new Float32Array(out.buffer);
}

// ---------------------------------------------------------------------------------------------
// Reading.

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** The tensor's element count, checking each dimension; throws naming the file and tensor. */
function elementCount(fn: string, where: string, shape: unknown): { shape: number[]; count: number } {
  if (!Array.isArray(shape)) throw typeError(fn, `${where}.shape`, shape, 'an array of non-negative integers');
  const dims: number[] = [];
  let count = 1, tooMany = false;
  for (let k = 0; k < shape.length; k++) {
    const d = shape[k];
    if (typeof d !== 'number') throw typeError(fn, `${where}.shape[${k}]`, d, 'a non-negative integer (a dimension)');
    if (!Number.isSafeInteger(d) || d < 0) throw rangeError(fn, `${where}.shape[${k}]`, d, 'a non-negative integer below 2^53 (a dimension)');
    dims.push(d);
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) {
      count = 1; // keep the product small; a later 0 still makes the tensor empty
      tooMany = true;
    }
  }
  if (dims.includes(0)) return { shape: dims, count: 0 };
  if (tooMany) throw rangeError(fn, `${where}.shape`, shape, 'a shape with fewer than 2^53 elements (the element count overflows)');
  return { shape: dims, count };
}

/** A data_offsets pair. */
function offsets(fn: string, where: string, v: unknown): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'number' || typeof v[1] !== 'number') {
    throw typeError(fn, `${where}.data_offsets`, v, 'a pair [begin, end] of byte offsets');
  }
  const [b, e] = v as [number, number];
  if (!Number.isSafeInteger(b) || !Number.isSafeInteger(e) || b < 0 || e < 0) {
    throw rangeError(fn, `${where}.data_offsets`, v, 'non-negative integer byte offsets below 2^53');
  }
  if (e < b) throw rangeError(fn, `${where}.data_offsets`, v, 'offsets with begin ≤ end');
  return [b, e];
}

/** The header's entries (validated one by one, in header order) and metadata. */
function parseHeader(fn: string, file: string, header: unknown): { entries: SafetensorsEntry[]; metadata: Record<string, string> } {
  if (!isObject(header)) throw typeError(fn, `${file}: header`, header, 'a JSON object (tensor name → {dtype, shape, data_offsets})');
  const metadata: Record<string, string> = Object.create(null);
  const entries: SafetensorsEntry[] = [];
  for (const name of Object.keys(header)) {
    const v = header[name];
    if (name === '__metadata__') {
      if (v === null) continue; // as serde reads an Option
      if (!isObject(v)) throw typeError(fn, `${file}: header.__metadata__`, v, 'an object of string values');
      for (const k of Object.keys(v)) {
        if (typeof v[k] !== 'string') throw typeError(fn, `${file}: header.__metadata__[${JSON.stringify(k)}]`, v[k], 'a string (metadata values are strings)');
        metadata[k] = v[k] as string;
      }
      continue;
    }
    const where = `${file}: tensor ${JSON.stringify(name)}`;
    if (!isObject(v)) throw typeError(fn, where, v, 'an object {dtype, shape, data_offsets}');
    for (const key of ['dtype', 'shape', 'data_offsets']) {
      if (!own(v, key)) throw typeError(fn, `${where}.${key}`, undefined, `present (every tensor has dtype, shape and data_offsets)`);
    }
    const dtype = v.dtype;
    if (typeof dtype !== 'string') throw typeError(fn, `${where}.dtype`, dtype, 'a dtype name (a string)');
    if (!own(SAFETENSORS_DTYPE_BITS, dtype)) {
      throw rangeError(fn, `${where}.dtype`, dtype, `a dtype the format knows (unknown dtype; known: ${KNOWN.join(', ')})${didYouMean(dtype, KNOWN)}`);
    }
    const { shape, count } = elementCount(fn, where, v.shape);
    const [begin, end] = offsets(fn, where, v.data_offsets);
    const bits = BigInt(count) * BigInt(SAFETENSORS_DTYPE_BITS[dtype as SafetensorsDType]);
    if (bits % 8n !== 0n) throw rangeError(fn, `${where}.shape`, shape, `a shape whose ${count} ${dtype} elements fill whole bytes`);
    if (bits / 8n !== BigInt(end - begin)) {
      throw rangeError(fn, `${where}.data_offsets`, [begin, end], `a span of ${bits / 8n} bytes (shape ${show(shape)} of ${dtype}); it spans ${end - begin}`);
    }
    entries.push({ name, dtype: dtype as SafetensorsDType, shape: Object.freeze(shape), count, begin, end });
  }
  return { entries, metadata };
}

/** Sorts entries by offset and checks that they tile [0, dataLength) exactly. */
function checkLayout(fn: string, file: string, entries: SafetensorsEntry[], dataLength: number): SafetensorsEntry[] {
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at) {
      const what = e.begin > at ? `a gap: bytes ${at}..${e.begin} of the data section belong to no tensor` : `an overlap: bytes ${e.begin}..${at} belong to another tensor too`;
      throw rangeError(fn, `${file}: tensor ${JSON.stringify(e.name)}.data_offsets`, [e.begin, e.end], `offsets that start where the previous tensor ends (${at}); found ${what}`);
    }
    at = e.end;
  }
  if (at < dataLength) {
    throw rangeError(fn, `${file}: data section`, dataLength, `exactly ${at} bytes, as the tensors' offsets say; found ${dataLength - at} trailing bytes after the last tensor`);
  }
  if (at > dataLength) {
    throw rangeError(fn, `${file}: data section`, dataLength, `${at} bytes, as the tensors' offsets say; the file is truncated (${at - dataLength} bytes missing)`);
  }
  return sorted;
}

/** `length` bytes at `offset`, or an error naming the file when the source gives another count. */
async function readExactly(fn: string, file: string, source: ByteSource, offset: number, length: number): Promise<Uint8Array> {
  const bytes = await source.read(offset, length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw rangeError(fn, `${file}: read(${offset}, ${length})`, bytes instanceof Uint8Array ? `${bytes.length} bytes` : bytes, `${length} bytes (the source gave something else)`);
  }
  return bytes;
}

function isSupported(dtype: SafetensorsDType): dtype is TensorDType {
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
}

/**
 * Opens a safetensors file: reads the 8-byte header length and the header (nothing more), checks
 * them as the format's own implementation does (see the top of this file), and returns a
 * TensorSource whose read(name) reads that one tensor by offset and converts it to float32 (F16
 * and BF16 exactly). Every error is an ArgumentRangeError or ArgumentTypeError naming `name` and
 * what is wrong. The file keeps `source` and closes it on close().
 *
 * @example
 * const st = await openSafetensors(bytesSource(bytes), 'model.safetensors');
 * st.names;                                  // ['lm_head.weight', 'model.layers.0...', ...]
 * st.info('model.norm.weight');              // { name, dtype: 'F32', shape: [128] }
 * const w = await st.read('model.norm.weight');   // Float32Array(128)
 * await st.close();
 */
export async function openSafetensors(source: ByteSource, name: string): Promise<SafetensorsFile> {
  const fn = 'openSafetensors';
  if (typeof name !== 'string') throw typeError(fn, 'name', name, 'a string (the file name, for errors)');
  if (source === null || typeof source !== 'object' || typeof source.read !== 'function' || typeof source.size !== 'number') {
    throw typeError(fn, 'source', source, 'a ByteSource');
  }
  const size = source.size;
  if (!Number.isSafeInteger(size) || size < 0) throw typeError(fn, 'source.size', size, 'a non-negative integer (a byte count)');
  if (size < 8) throw rangeError(fn, `${name}: size`, size, 'at least 8 bytes (the header length), but the file is shorter than 8 bytes');
  const prefix = await readExactly(fn, name, source, 0, 8);
  const lo = (prefix[0] | (prefix[1] << 8) | (prefix[2] << 16) | (prefix[3] << 24)) >>> 0;
  const hi = (prefix[4] | (prefix[5] << 8) | (prefix[6] << 16) | (prefix[7] << 24)) >>> 0;
  const n = hi * 2 ** 32 + lo; // inexact beyond 2^53, but then far above the limit anyway
  if (hi !== 0 || n > MAX_HEADER_BYTES) {
    throw rangeError(fn, `${name}: header length`, hi === 0 ? n : (BigInt(hi) << 32n) | BigInt(lo), `at most ${MAX_HEADER_BYTES} bytes (the format's limit): the header is too large`);
  }
  if (n + 8 > size) throw rangeError(fn, `${name}: header length`, n, `at most ${size - 8} (the file has ${size} bytes): the header runs past the end of the file`);

  const headerBytes = await readExactly(fn, name, source, 8, n);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw typeError(fn, `${name}: header`, `${n} bytes`, 'valid UTF-8 text (the header is not valid UTF-8)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw typeError(fn, `${name}: header`, text.length > 40 ? text.slice(0, 40) + '…' : text, `JSON (the header is not JSON: ${why})`);
  }
  const { entries, metadata } = parseHeader(fn, name, json);
  const dataStart = 8 + n;
  const sorted = checkLayout(fn, name, entries, size - dataStart);
  return new SafetensorsFileImpl(source, name, sorted, metadata, dataStart);
}

/** The SafetensorsFile implementation. */
class SafetensorsFileImpl implements SafetensorsFile {
  readonly names: readonly string[];
  private readonly byName = new Map<string, SafetensorsEntry>();
  private closed = false;

  constructor(
    private readonly source: ByteSource,
    readonly fileName: string,
    entries: SafetensorsEntry[],
    readonly metadata: Readonly<Record<string, string>>,
    readonly dataStart: number,
  ) {
    for (const e of entries) this.byName.set(e.name, Object.freeze(e));
    this.names = Object.freeze(entries.map((e) => e.name));
  }

  private lookup(fn: string, name: string): SafetensorsEntry {
    if (typeof name !== 'string') throw typeError(fn, 'name', name, 'a tensor name (a string)');
    const e = this.byName.get(name);
    if (!e) throw rangeError(fn, 'name', name, `the name of a tensor in ${this.fileName} (no tensor by that name)${didYouMean(name, this.names)}`);
    return e;
  }

  private supported(fn: string, e: SafetensorsEntry): TensorDType {
    if (!isSupported(e.dtype)) {
      throw rangeError(fn, `${this.fileName}: tensor ${JSON.stringify(e.name)}.dtype`, e.dtype, `one of ${SUPPORTED_DTYPES.join(', ')} (unsupported dtype: this library reads only float tensors)`);
    }
    return e.dtype;
  }

  entry(name: string): SafetensorsEntry {
    return this.lookup('SafetensorsFile.entry', name);
  }

  info(name: string): TensorInfo {
    const e = this.lookup('SafetensorsFile.info', name);
    return { name: e.name, dtype: this.supported('SafetensorsFile.info', e), shape: e.shape };
  }

  byteRange(name: string): { offset: number; length: number } {
    const e = this.lookup('SafetensorsFile.byteRange', name);
    return { offset: this.dataStart + e.begin, length: e.end - e.begin };
  }

  async read(name: string): Promise<Float32Array> {
    const fn = 'SafetensorsFile.read';
    const e = this.lookup(fn, name);
    const dtype = this.supported(fn, e);
    checkOpen(fn, this.closed);
    const length = e.end - e.begin;
    const bytes = await readExactly(fn, this.fileName, this.source, this.dataStart + e.begin, length);
    return decode(dtype, bytes, e.count);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Sharded checkpoints.

/** The index file of a sharded checkpoint. */
export const INDEX_FILE = 'model.safetensors.index.json';
/** The single file of an unsharded checkpoint. */
export const SINGLE_FILE = 'model.safetensors';

/**
 * Opens a checkpoint's file by its path relative to the checkpoint folder; resolves to null when
 * there is no such file (other failures reject).
 */
export type CheckpointOpener = (relPath: string) => Promise<ByteSource | null>;

/** A checkpoint of one or more safetensors files, read as one TensorSource. */
export interface Checkpoint extends TensorSource {
  /** The safetensors files, in the order the index first names them (one for an unsharded one). */
  readonly files: readonly string[];
  /** The file that holds a tensor. */
  fileOf(name: string): string;
  /** A tensor's header entry in its file. */
  entry(name: string): SafetensorsEntry;
  /**
   * The first file's "__metadata__" (shards written together carry the same). Pass it on when
   * writing the model back: transformers loads only files whose metadata has format "pt".
   */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Throws unless a shard's path is a plain file name (no folder, no '..'). */
function checkShardPath(fn: string, tensor: string, path: unknown): string {
  if (typeof path !== 'string') throw typeError(fn, `${INDEX_FILE}: weight_map[${JSON.stringify(tensor)}]`, path, 'a file name (a string)');
  if (path === '' || path.includes('/') || path.includes('\\') || path.includes('..') || path.includes('\0')) {
    throw rangeError(fn, `${INDEX_FILE}: weight_map[${JSON.stringify(tensor)}]`, path, "a plain file name in the checkpoint's folder (no '/', '\\' or '..')");
  }
  return path;
}

/** The weight map of an index file: tensor → shard, in the index's order. */
async function readIndex(fn: string, source: ByteSource): Promise<Map<string, string>> {
  if (source.size > MAX_HEADER_BYTES) throw rangeError(fn, `${INDEX_FILE}: size`, source.size, `at most ${MAX_HEADER_BYTES} bytes`);
  const bytes = await source.read(0, source.size);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch (err) {
    throw typeError(fn, INDEX_FILE, `${bytes.length} bytes`, `UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isObject(json) || !isObject(json.weight_map)) throw typeError(fn, `${INDEX_FILE}: weight_map`, isObject(json) ? json.weight_map : json, 'an object (tensor name → shard file)');
  const map = new Map<string, string>();
  for (const tensor of Object.keys(json.weight_map)) map.set(tensor, checkShardPath(fn, tensor, json.weight_map[tensor]));
  return map;
}

/**
 * Opens a Hugging Face checkpoint through `open`: the shards that model.safetensors.index.json
 * lists (its weight_map: tensor → shard file) when there is an index, else model.safetensors.
 * Every shard's header is read and checked at once (info() is synchronous, so shapes must be
 * known), the tensors' data only on read(). Errors: a shard path with a folder or '..', a shard
 * missing, a tensor the index names that its shard lacks, or one a shard holds that the index does
 * not name; any shard's own format errors, naming the shard.
 *
 * @example
 * const ckpt = await openCheckpoint(async (p) => blobSource(files.get(p)) ?? null);
 * ckpt.fileOf('model.norm.weight');   // 'model-00002-of-00002.safetensors'
 * const w = await ckpt.read('model.norm.weight');
 */
export async function openCheckpoint(open: CheckpointOpener): Promise<Checkpoint> {
  const fn = 'openCheckpoint';
  if (typeof open !== 'function') throw typeError(fn, 'open', open, 'a function (relative path → Promise<ByteSource | null>)');
  const indexSource = await open(INDEX_FILE);
  if (!indexSource) {
    const single = await open(SINGLE_FILE);
    if (!single) throw rangeError(fn, 'open', SINGLE_FILE, `a checkpoint folder: it has neither ${INDEX_FILE} nor ${SINGLE_FILE}`);
    const file = await openSafetensors(single, SINGLE_FILE).catch(async (err) => {
      await single.close();
      throw err;
    });
    return new CheckpointImpl(new Map(file.names.map((t) => [t, SINGLE_FILE])), new Map([[SINGLE_FILE, file]]));
  }
  let weightMap: Map<string, string>;
  try {
    weightMap = await readIndex(fn, indexSource);
  } finally {
    await indexSource.close();
  }
  const files = new Map<string, SafetensorsFile>();
  try {
    for (const path of new Set(weightMap.values())) {
      const source = await open(path);
      if (!source) throw rangeError(fn, `${INDEX_FILE}: weight_map`, path, `shards that exist (${path} is missing)`);
      const file = await openSafetensors(source, path).catch(async (err) => {
        await source.close();
        throw err;
      });
      files.set(path, file);
      for (const t of file.names) {
        if (weightMap.get(t) !== path) throw rangeError(fn, `${path}: tensor ${JSON.stringify(t)}`, t, `a tensor the index maps to ${path} (the index ${weightMap.has(t) ? `maps it to ${weightMap.get(t)}` : 'does not name it'})`);
      }
    }
    const held = new Set([...files.values()].flatMap((f) => f.names));
    for (const [t, path] of weightMap) {
      if (!held.has(t)) throw rangeError(fn, `${INDEX_FILE}: weight_map[${JSON.stringify(t)}]`, path, `a shard that holds the tensor (${path} has no tensor ${JSON.stringify(t)})`);
    }
  } catch (err) {
    for (const f of files.values()) await f.close().catch(() => {});
    throw err;
  }
  return new CheckpointImpl(weightMap, files);
}

/** The Checkpoint implementation. */
class CheckpointImpl implements Checkpoint {
  readonly names: readonly string[];
  readonly files: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  private closed = false;

  constructor(
    private readonly where: Map<string, string>,
    private readonly opened: Map<string, SafetensorsFile>,
  ) {
    this.names = Object.freeze([...where.keys()]);
    this.files = Object.freeze([...opened.keys()]);
    this.metadata = opened.size > 0 ? [...opened.values()][0].metadata : Object.create(null);
  }

  private file(fn: string, name: string): SafetensorsFile {
    if (typeof name !== 'string') throw typeError(fn, 'name', name, 'a tensor name (a string)');
    const path = this.where.get(name);
    if (path === undefined) throw rangeError(fn, 'name', name, `the name of a tensor in the checkpoint (no tensor by that name)${didYouMean(name, this.names)}`);
    return this.opened.get(path)!;
  }

  fileOf(name: string): string {
    return this.file('Checkpoint.fileOf', name).fileName;
  }

  entry(name: string): SafetensorsEntry {
    return this.file('Checkpoint.entry', name).entry(name);
  }

  info(name: string): TensorInfo {
    return this.file('Checkpoint.info', name).info(name);
  }

  async read(name: string): Promise<Float32Array> {
    const f = this.file('Checkpoint.read', name);
    checkOpen('Checkpoint.read', this.closed);
    return f.read(name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.opened.values()) await f.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Writing.

/** A tensor to write: float32 values (or a function that produces them when their turn comes). */
export interface TensorToWrite {
  readonly name: string;
  /** The dtype to store: F32 as is, F16 and BF16 rounded to nearest, ties to even. */
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
  /** The values in C order; a function is called only when the writer reaches this tensor. */
  readonly data: Float32Array | (() => Float32Array | Promise<Float32Array>);
}

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/** Checks the tensors to write (not their data) and returns their element counts. */
function checkTensors(fn: string, tensors: readonly TensorToWrite[], needData = true): number[] {
  if (!Array.isArray(tensors)) throw typeError(fn, 'tensors', tensors, 'an array of {name, dtype, shape, data}');
  const seen = new Set<string>();
  return tensors.map((t, i) => {
    const at = `tensors[${i}]`;
    if (t === null || typeof t !== 'object') throw typeError(fn, at, t, 'an object {name, dtype, shape, data}');
    if (typeof t.name !== 'string' || t.name === '') throw typeError(fn, `${at}.name`, t.name, 'a non-empty string');
    if (t.name === '__metadata__') throw rangeError(fn, `${at}.name`, t.name, "a tensor name other than '__metadata__' (the format reserves it)");
    if (hasLoneSurrogate(t.name)) throw rangeError(fn, `${at}.name`, t.name, 'a string with no lone surrogates (it must encode as UTF-8)');
    if (seen.has(t.name)) throw rangeError(fn, `${at}.name`, t.name, 'a name no other tensor has');
    seen.add(t.name);
    if (!SUPPORTED_DTYPES.includes(t.dtype)) throw rangeError(fn, `${at}.dtype`, t.dtype, `one of ${SUPPORTED_DTYPES.join(', ')}`);
    if (!Array.isArray(t.shape)) throw typeError(fn, `${at}.shape`, t.shape, 'an array of non-negative integers');
    let count = 1;
    for (const d of t.shape) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw rangeError(fn, `${at}.shape`, t.shape, 'an array of non-negative integers');
      count *= d;
    }
    if (!Number.isSafeInteger(count * 4)) throw rangeError(fn, `${at}.shape`, t.shape, 'a shape of fewer than 2^51 elements');
    if (t.data instanceof Float32Array) {
      if (t.data.length !== count) throw rangeError(fn, `${at}.data`, `${t.data.length} values`, `${count} values (the product of shape ${show(t.shape)})`);
    } else if (t.data !== undefined && typeof t.data !== 'function') throw typeError(fn, `${at}.data`, t.data, 'a Float32Array or a function returning one');
    else if (t.data === undefined && needData) throw typeError(fn, `${at}.data`, t.data, 'a Float32Array or a function returning one');
    return count;
  });
}

/** Throws unless `metadata` is undefined or an object of string values; returns its entries. */
function checkMetadata(fn: string, metadata: unknown): [string, string][] {
  if (metadata === undefined) return [];
  if (!isObject(metadata)) throw typeError(fn, 'metadata', metadata, 'an object of string values');
  return Object.keys(metadata).map((k) => {
    const v = metadata[k];
    if (typeof v !== 'string') throw typeError(fn, `metadata[${JSON.stringify(k)}]`, v, 'a string');
    if (hasLoneSurrogate(k) || hasLoneSurrogate(v)) throw rangeError(fn, `metadata[${JSON.stringify(k)}]`, v, 'strings with no lone surrogates');
    return [k, v];
  });
}

const BYTES_PER: Record<TensorDType, number> = { F32: 4, F16: 2, BF16: 2 };

/** The first bytes of the file: the 8-byte length and the space-padded JSON header. */
function headerBytes(fn: string, tensors: readonly TensorToWrite[], counts: number[], meta: [string, string][]): Uint8Array {
  // Built as text so that keys keep their order (an object would move integer-like names first).
  const parts: string[] = [];
  if (meta.length > 0) parts.push(`"__metadata__":{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  let at = 0;
  tensors.forEach((t, i) => {
    const end = at + counts[i] * BYTES_PER[t.dtype];
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${at},${end}]}`);
    at = end;
  });
  if (!Number.isSafeInteger(at)) throw rangeError(fn, 'tensors', `${tensors.length} tensors`, 'fewer than 2^53 bytes of data in all');
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.length / 8) * 8; // pad with spaces so the data starts 8-aligned
  if (n > MAX_HEADER_BYTES) throw rangeError(fn, 'tensors', `${tensors.length} tensors`, `a header of at most ${MAX_HEADER_BYTES} bytes (this one has ${n})`);
  const out = new Uint8Array(8 + n).fill(0x20, 8 + json.length);
  new DataView(out.buffer).setUint32(0, n, true); // n < 2^32: the high word stays 0
  out.set(json, 8);
  return out;
}

/** One tensor's bytes in the data section; throws when a finite value overflows F16/BF16. */
function tensorBytes(fn: string, i: number, t: TensorToWrite, count: number, data: unknown): Uint8Array {
  if (!(data instanceof Float32Array)) throw typeError(fn, `tensors[${i}].data`, data, 'a Float32Array (what the data function returned)');
  if (data.length !== count) throw rangeError(fn, `tensors[${i}].data`, `${data.length} values`, `${count} values (the product of shape ${show(t.shape)})`);
  const { bytes, overflow } = encode(t.dtype, data);
  if (overflow >= 0) {
    throw rangeError(fn, `tensors[${i}].data[${overflow}]`, data[overflow], `a value ${t.dtype} can hold (${JSON.stringify(t.name)}: this finite value would become infinite; max ${t.dtype === 'F16' ? 65504 : '3.39e38'})`);
  }
  return bytes;
}

/**
 * Writes a safetensors file to `sink` chunk by chunk: the header first, then each tensor's bytes
 * in the order given (offsets contiguous, so the file is what the format's own writer would
 * produce but for order). A tensor whose `data` is a function is produced only when its turn comes
 * and its bytes handed to the sink before the next one, so a model never sits in memory twice.
 * Values convert to F16/BF16 with round to nearest, ties to even; NaN and ±Inf are kept, but a
 * finite value that would round to ±Inf is refused (a silent overflow would corrupt the model).
 * Everything but the produced data is checked before the first chunk. Resolves to the byte count.
 * For Hugging Face transformers to load the file, pass metadata { format: 'pt' } (it refuses
 * files without it); openCheckpoint's `metadata` carries it over from the model read.
 *
 * @example
 * const chunks: Uint8Array[] = [];
 * await writeSafetensors((c) => { chunks.push(c); }, [
 *   { name: 'w', dtype: 'BF16', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
 * ]);                                        // 8 + 64 header bytes, then 8 bytes of data
 */
export async function writeSafetensors(
  sink: (chunk: Uint8Array) => void | Promise<void>,
  tensors: readonly TensorToWrite[],
  metadata?: Record<string, string>,
): Promise<number> {
  const fn = 'writeSafetensors';
  if (typeof sink !== 'function') throw typeError(fn, 'sink', sink, 'a function (chunk) => void | Promise<void>');
  const counts = checkTensors(fn, tensors);
  const header = headerBytes(fn, tensors, counts, checkMetadata(fn, metadata));
  await sink(header);
  let total = header.length;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    const data = typeof t.data === 'function' ? await t.data() : t.data;
    const bytes = tensorBytes(fn, i, t, counts[i], data);
    await sink(bytes);
    total += bytes.length;
  }
  return total;
}

/**
 * The chunks of a safetensors file holding these tensors (header, then one chunk per tensor),
 * for when the tensors are in memory anyway; join them, or hand them to a Blob. See
 * writeSafetensors for the conversions and checks.
 *
 * @example
 * const chunks = formatSafetensors([{ name: 'b', dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) }]);
 * const blob = new Blob(chunks);             // a complete .safetensors file
 */
export function formatSafetensors(
  tensors: readonly { name: string; dtype: TensorDType; shape: readonly number[]; data: Float32Array }[],
  metadata?: Record<string, string>,
): Uint8Array[] {
  const fn = 'formatSafetensors';
  const counts = checkTensors(fn, tensors);
  tensors.forEach((t, i) => {
    if (!(t.data instanceof Float32Array)) throw typeError(fn, `tensors[${i}].data`, t.data, 'a Float32Array');
  });
  const out = [headerBytes(fn, tensors, counts, checkMetadata(fn, metadata))];
  tensors.forEach((t, i) => out.push(tensorBytes(fn, i, t, counts[i], t.data)));
  return out;
}

/** Where every tensor of a file goes: for writing the data in any order at known positions. */
export interface SafetensorsPlan {
  /** The first bytes of the file: the 8-byte length and the space-padded JSON header. */
  readonly header: Uint8Array;
  /** Size of the whole file in bytes. */
  readonly size: number;
  /** Each tensor's place: its absolute byte range in the file, dtype and element count. */
  readonly places: ReadonlyMap<string, { readonly index: number; readonly start: number; readonly end: number; readonly dtype: TensorDType; readonly count: number; readonly shape: readonly number[] }>;
}

/**
 * Lays out a safetensors file for these tensors (names, dtypes, shapes; no data) without writing
 * it, so that the tensors can be written later in any order at their positions (see
 * encodeForPlan): what a whole-model pruner needs to write each pruned layer as soon as it is done.
 * @example
 * const plan = planSafetensors([{ name: 'w', dtype: 'F32', shape: [2, 2] }]);
 * await file.writeAt(0, plan.header);
 * await file.writeAt(plan.places.get('w')!.start, encodeForPlan(plan, 'w', new Float32Array(4)));
 */
export function planSafetensors(tensors: readonly { name: string; dtype: TensorDType; shape: readonly number[] }[], metadata?: Record<string, string>): SafetensorsPlan {
  const fn = 'planSafetensors';
  const list = tensors as readonly TensorToWrite[];
  const counts = checkTensors(fn, list, false);
  const header = headerBytes(fn, list, counts, checkMetadata(fn, metadata));
  const places = new Map<string, { index: number; start: number; end: number; dtype: TensorDType; count: number; shape: readonly number[] }>();
  let at = header.length;
  tensors.forEach((t, i) => {
    const end = at + counts[i] * BYTES_PER[t.dtype];
    places.set(t.name, { index: i, start: at, end, dtype: t.dtype, count: counts[i], shape: t.shape });
    at = end;
  });
  return { header, size: at, places };
}

/** One tensor's bytes for its place in a plan (converted to its dtype; a finite value overflowing F16/BF16 is refused). */
export function encodeForPlan(plan: SafetensorsPlan, name: string, data: Float32Array): Uint8Array {
  const fn = 'encodeForPlan';
  const place = plan.places.get(name);
  if (!place) throw rangeError(fn, 'name', name, 'a tensor of the plan');
  return tensorBytes(fn, place.index, { name, dtype: place.dtype, shape: place.shape, data }, place.count, data);
}
