// NumPy .npy files: a strict reader for float32/float64 arrays and a writer that produces the
// same bytes np.save does. Platform-neutral: no node: imports, only Uint8Array and friends.
//
// Layout: 6 magic bytes "\x93NUMPY", a major and a minor version byte, the header length
// (u16 little-endian in version 1.0, u32 in 2.0 and 3.0), the header (latin-1, or utf-8 in 3.0):
// a Python dict literal such as {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
// padded with spaces and ended by '\n', then the raw elements.

import { type DType, type FloatArray, arrayType, bytesPer } from '../core/dtype.js';
import { rangeError, show, typeError } from '../core/errors.js';

/** What parseNpy returns: the dtype, the shape and the elements in row-major (C) order. */
export interface NpyArray {
  dtype: DType;
  shape: number[];
  data: FloatArray;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93 N U M P Y
/** numpy aligns the start of the data to this many bytes. */
const ALIGN = 64;
/** numpy leaves room for the growth axis's length to reach this many digits. */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** numpy refuses arrays of more dimensions than this. */
const MAX_DIMS = 64;

const SUPPORTED_DESCR = ["'<f4'", "'<f8'", "'>f4'", "'>f8'"];

const NATIVE_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Bytes that are not a readable .npy file: `source` names them (the `name` given to the parser,
 * a file path, say) and `reason` says what is wrong, so that a caller can report the reason under
 * its own name for the input; the message is `parseNpy: <source>: <reason>`.
 */
export class NpyFormatError extends Error {
  constructor(readonly source: string, readonly reason: string) {
    super(`parseNpy: ${source}: ${reason}`);
    this.name = 'NpyFormatError';
  }
}

// ---------------------------------------------------------------------------------------------
// The header: a tiny parser for the Python literals numpy writes.

type HeaderValue = string | boolean | number[];

/** Parses `text`, the header dict literal; throws an NpyFormatError naming `source` and the offset. */
class HeaderParser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  private fail(what: string): NpyFormatError {
    const near = this.text.slice(this.pos, this.pos + 20);
    return new NpyFormatError(
      this.source,
      `malformed header at offset ${this.pos}: ${what}` +
        (this.pos < this.text.length ? ` (near ${JSON.stringify(near)})` : ' (at end of header)'),
    );
  }

  private skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  private peek(): string {
    return this.pos < this.text.length ? this.text[this.pos] : '';
  }

  private expect(ch: string): void {
    this.skipSpace();
    if (this.peek() !== ch) throw this.fail(`expected '${ch}'`);
    this.pos++;
  }

  /** A single-quoted string without escapes (numpy's keys and descr never need them). */
  private string(): string {
    this.skipSpace();
    if (this.peek() !== "'") throw this.fail('expected a single-quoted string');
    const start = ++this.pos;
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === "'") {
        const s = t.slice(start, this.pos);
        this.pos++;
        return s;
      }
      if (c === '\\') throw this.fail('escape sequences in strings are not supported');
      if (c === '\n' || c === '\r') break;
      this.pos++;
    }
    this.pos = start - 1; // point at the opening quote
    throw this.fail('unterminated string');
  }

  /** A non-negative decimal integer as Python writes it: no sign, no leading zeros. */
  private integer(): number {
    this.skipSpace();
    const t = this.text;
    const start = this.pos;
    while (this.pos < t.length && t.charCodeAt(this.pos) >= 0x30 && t.charCodeAt(this.pos) <= 0x39) this.pos++;
    if (this.pos === start) throw this.fail('expected a non-negative integer');
    const digits = t.slice(start, this.pos);
    if (digits.length > 1 && digits[0] === '0') {
      this.pos = start;
      throw this.fail('integers may not have leading zeros');
    }
    const n = Number(digits);
    if (!Number.isSafeInteger(n)) {
      this.pos = start;
      throw this.fail(`dimension ${digits} is too large`);
    }
    return n;
  }

  /** A tuple of integers: (), (3,), (3, 4) or (3, 4,). */
  private tuple(): number[] {
    this.expect('(');
    const out: number[] = [];
    let comma = false;
    for (;;) {
      this.skipSpace();
      if (this.peek() === ')') {
        if (out.length === 1 && !comma) throw this.fail('a 1-tuple needs a trailing comma, as in (3,)');
        this.pos++;
        return out;
      }
      if (out.length >= MAX_DIMS) throw this.fail(`more than ${MAX_DIMS} dimensions`);
      out.push(this.integer());
      this.skipSpace();
      comma = this.peek() === ',';
      if (comma) this.pos++;
      else if (this.peek() !== ')') throw this.fail("expected ',' or ')' in tuple");
    }
  }

  private value(): HeaderValue {
    this.skipSpace();
    const c = this.peek();
    if (c === "'") return this.string();
    if (c === '(') return this.tuple();
    if (this.text.startsWith('True', this.pos)) {
      this.pos += 4;
      return true;
    }
    if (this.text.startsWith('False', this.pos)) {
      this.pos += 5;
      return false;
    }
    if (c === '[') throw new NpyFormatError(this.source, `unsupported dtype: structured arrays (a list descr) are not supported; supported descr: ${SUPPORTED_DESCR.join(', ')}`);
    throw this.fail('expected a string, True, False or a tuple of integers');
  }

  /** The whole header: one dict literal, then only whitespace. */
  dict(): Map<string, HeaderValue> {
    const out = new Map<string, HeaderValue>();
    this.expect('{');
    for (;;) {
      this.skipSpace();
      if (this.peek() === '}') {
        this.pos++;
        break;
      }
      const keyAt = this.pos;
      const key = this.string();
      if (out.has(key)) {
        this.pos = keyAt;
        throw this.fail(`duplicate key '${key}'`);
      }
      this.expect(':');
      out.set(key, this.value());
      this.skipSpace();
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== '}') throw this.fail("expected ',' or '}' in dict");
    }
    this.skipSpace();
    if (this.pos !== this.text.length) throw this.fail('unexpected text after the dict');
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading.

function decodeLatin1(bytes: Uint8Array): string {
  let s = '';
  const CHUNK = 4096;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + CHUNK)));
  }
  return s;
}

/** Reverses each `size`-byte group of `bytes` in place (big-endian data to little-endian and back). */
export function byteSwap(bytes: Uint8Array, size: 4 | 8): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Reorders `src`, the elements of a Fortran-order array of this shape, into C order. */
function fortranToC(src: FloatArray, shape: number[]): FloatArray {
  const n = src.length;
  const T = src instanceof Float32Array ? Float32Array : Float64Array;
  const out = new T(n);
  const rank = shape.length;
  if (n === 0 || rank < 2) {
    out.set(src);
    return out;
  }
  if (rank === 2) {
    const [r, c] = shape;
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = src[j * r + i];
    return out;
  }
  // Fortran strides: dimension k moves by the product of the dimensions before it.
  const fstride = new Array<number>(rank);
  let s = 1;
  for (let k = 0; k < rank; k++) {
    fstride[k] = s;
    s *= shape[k];
  }
  // Walk the C-order multi-index like an odometer, last dimension fastest.
  const idx = new Array<number>(rank).fill(0);
  let f = 0;
  const last = rank - 1;
  const lastDim = shape[last];
  const lastStride = fstride[last];
  for (let p = 0; p < n; ) {
    for (let j = 0, q = f; j < lastDim; j++, q += lastStride) out[p++] = src[q];
    // Carry into the earlier dimensions.
    let k = last - 1;
    while (k >= 0) {
      idx[k]++;
      f += fstride[k];
      if (idx[k] < shape[k]) break;
      f -= idx[k] * fstride[k];
      idx[k] = 0;
      k--;
    }
    if (k < 0) break;
  }
  return out;
}

/** What a .npy header says, and where the data starts. */
export interface NpyHeader {
  dtype: DType;
  shape: number[];
  fortranOrder: boolean;
  littleEndian: boolean;
  /** Byte offset of the first element. */
  dataOffset: number;
}

/**
 * Parses the header of a .npy file from its first bytes (at least up to the end of the header;
 * the data need not be there), for readers that take the data in pieces. Errors as parseNpy.
 * @example
 * const h = parseNpyHeader(firstKilobytes, 'X.npy');   // { dtype, shape, dataOffset, ... }
 */
export function parseNpyHeader(bytes: Uint8Array, name = 'input'): NpyHeader {
  if (!(bytes instanceof Uint8Array)) throw typeError('parseNpyHeader', 'bytes', bytes, 'a Uint8Array');
  if (typeof name !== 'string') throw typeError('parseNpyHeader', 'name', name, 'a string');

  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    const head = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new NpyFormatError(name, `not a .npy file: bad magic (expected 93 4e 55 4d 50 59 "\\x93NUMPY", got ${head || 'nothing'})`);
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw new NpyFormatError(name, `unsupported .npy format version ${major}.${minor}; supported: 1.0, 2.0, 3.0`);
  }
  const lenBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lenBytes;
  if (bytes.length < headerStart) {
    throw new NpyFormatError(name, `truncated header: expected at least ${headerStart} bytes, got ${bytes.length}`);
  }
  let headerLen = 0;
  for (let i = lenBytes - 1; i >= 0; i--) headerLen = headerLen * 256 + bytes[8 + i];
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw new NpyFormatError(name, `truncated header: header length says ${headerLen} bytes, only ${bytes.length - headerStart} present`);
  }
  const headerBytes = bytes.subarray(headerStart, dataStart);
  let text: string;
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      throw new NpyFormatError(name, `malformed header: not valid utf-8`);
    }
  } else {
    text = decodeLatin1(headerBytes);
  }

  const dict = new HeaderParser(text, name).dict();
  for (const key of dict.keys()) {
    if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape') {
      throw new NpyFormatError(name, `malformed header: unexpected key ${show(key)}; expected exactly 'descr', 'fortran_order', 'shape'`);
    }
  }
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shapeValue = dict.get('shape');
  if (typeof descr !== 'string') {
    throw new NpyFormatError(name, `malformed header: ${descr === undefined ? "missing key 'descr'" : "'descr' must be a string"}`);
  }
  if (typeof fortran !== 'boolean') {
    throw new NpyFormatError(name, `malformed header: ${fortran === undefined ? "missing key 'fortran_order'" : "'fortran_order' must be True or False"}`);
  }
  if (!Array.isArray(shapeValue)) {
    throw new NpyFormatError(name, `malformed header: ${shapeValue === undefined ? "missing key 'shape'" : "'shape' must be a tuple of integers"}`);
  }
  const shape = shapeValue;

  if (descr.length !== 3 || (descr[0] !== '<' && descr[0] !== '>') || descr[1] !== 'f' || (descr[2] !== '4' && descr[2] !== '8')) {
    throw new NpyFormatError(name, `unsupported dtype '${descr}'; supported descr: ${SUPPORTED_DESCR.join(', ')} (float32, float64)`);
  }
  const little = descr[0] === '<';
  const dtype: DType = descr[2] === '4' ? 'float32' : 'float64';
  return { dtype, shape: shape.slice(), fortranOrder: fortran, littleEndian: little, dataOffset: dataStart };
}

/**
 * Parses the bytes of a .npy file holding float32 or float64 elements.
 *
 * Reads format versions 1.0, 2.0 and 3.0, little- and big-endian data ('<f4', '<f8', '>f4',
 * '>f8'; swapped to native order) and Fortran-order files (reordered so that `data` is always
 * row-major, C order). The elements are copied, so `data` never aliases `bytes`.
 * Errors name `name` (say, the file path) and what was wrong.
 *
 * @example
 * const { shape, data } = parseNpy(await readFile('A.npy'), 'A.npy');
 */
export function parseNpy(bytes: Uint8Array, name = 'input'): NpyArray {
  if (!(bytes instanceof Uint8Array)) throw typeError('parseNpy', 'bytes', bytes, 'a Uint8Array');
  if (typeof name !== 'string') throw typeError('parseNpy', 'name', name, 'a string');
  const { dtype, shape, fortranOrder: fortran, littleEndian: little, dataOffset: dataStart } = parseNpyHeader(bytes, name);
  const descr = `${little ? '<' : '>'}f${bytesPer(dtype)}`;
  const size = bytesPer(dtype) as 4 | 8;

  // Element count, guarding against products too large to be exact.
  let count = 1;
  if (shape.includes(0)) count = 0;
  else {
    for (const d of shape) {
      count *= d;
      if (!Number.isSafeInteger(count * size)) {
        throw new NpyFormatError(name, `truncated data: shape ${show(shape)} needs more than 2^53 bytes, got ${bytes.length - dataStart}`);
      }
    }
  }
  const expected = count * size;
  const got = bytes.length - dataStart;
  if (got < expected) {
    throw new NpyFormatError(name, `truncated data: shape (${shape.join(', ')}) of ${descr} needs ${expected} bytes, got ${got}`);
  }
  if (got > expected) {
    throw new NpyFormatError(name, `trailing garbage: ${got - expected} bytes after the ${expected} bytes of data`);
  }

  // Copy into a fresh, aligned buffer (the source may sit at any byte offset), then fix order.
  const copy = new Uint8Array(expected);
  copy.set(bytes.subarray(dataStart, dataStart + expected));
  if (little !== NATIVE_LITTLE) byteSwap(copy, size);
  const T = arrayType(dtype);
  let data: FloatArray = new T(copy.buffer, 0, count);
  if (fortran && shape.length > 1) data = fortranToC(data, shape);
  return { dtype, shape: shape.slice(), data };
}

// ---------------------------------------------------------------------------------------------
// Writing.

const encodeAscii = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};

/**
 * The bytes of a .npy file holding `data` with this shape, C order, little-endian: version 1.0
 * (2.0 only when the header would not fit), with the header laid out and padded exactly as
 * np.save does, so the data starts at a multiple of 64 bytes.
 *
 * @example
 * await writeFile('x.npy', formatNpy(new Float64Array([1, 2, 3]), [3]));
 */
export function formatNpy(data: FloatArray, shape: number[]): Uint8Array {
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    throw typeError('formatNpy', 'data', data, 'a Float32Array or Float64Array');
  }
  if (!Array.isArray(shape)) throw typeError('formatNpy', 'shape', shape, 'an array of integers');
  if (shape.length > MAX_DIMS) throw rangeError('formatNpy', 'shape', shape, `at most ${MAX_DIMS} dimensions`);
  let count = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d)) throw typeError('formatNpy', 'shape', shape, 'an array of integers');
    if (d < 0 || !Number.isSafeInteger(d)) throw rangeError('formatNpy', 'shape', shape, 'non-negative dimensions');
    count *= d;
  }
  if (count !== data.length) {
    throw rangeError('formatNpy', 'shape', shape, `dimensions whose product equals data.length (${data.length})`);
  }

  const f32 = data instanceof Float32Array;
  const head = npyHeaderBytes(f32 ? 'float32' : 'float64', shape);
  const size = f32 ? 4 : 8;
  const out = new Uint8Array(head.length + data.length * size);
  out.set(head, 0);
  const body = out.subarray(head.length);
  body.set(new Uint8Array(data.buffer, data.byteOffset, data.length * size));
  if (!NATIVE_LITTLE) byteSwap(body, size);
  return out;
}

/**
 * The bytes of a .npy file before its data, for an array of this dtype and shape in C order,
 * little-endian: exactly what formatNpy puts first (version 1.0, or 2.0 when the header would not
 * fit; the data starts at a multiple of 64). Follow it with the elements' little-endian bytes.
 * The shape is not checked here (formatNpy checks it).
 * @example
 * npyHeaderBytes('float32', [2, 3]).length;   // 128
 */
export function npyHeaderBytes(dtype: DType, shape: number[]): Uint8Array {
  const f32 = dtype === 'float32';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${f32 ? '<f4' : '<f8'}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Spare room so the first axis could grow in place, as numpy leaves.
  if (shape.length > 0) header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));

  // Pad with spaces and a final '\n' so that magic + version + length + header is a multiple
  // of 64; like numpy, at least one space, and a whole 64 when already aligned.
  const build = (prefix: number) => {
    const withNewline = header.length + 1;
    const pad = ALIGN - ((prefix + withNewline) % ALIGN);
    return header + ' '.repeat(pad) + '\n';
  };
  let major = 1;
  let full = build(10);
  if (full.length > 0xffff) {
    major = 2;
    full = build(12);
  }
  const prefix = major === 1 ? 10 : 12;
  const out = new Uint8Array(prefix + full.length);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  let len = full.length;
  for (let i = 8; i < prefix; i++) {
    out[i] = len & 0xff;
    len = Math.floor(len / 256);
  }
  out.set(encodeAscii(full), prefix);
  return out;
}
