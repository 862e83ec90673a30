import { type DType, type FloatArray, arrayType, bytesPer } from './dtype.js';
import { rangeError } from './errors.js';

/**
 * Where a matrix's elements live. A backend hands these out: the Wasm backend's live in
 * its linear memory (address >= 0), the reference backend's in an ordinary ArrayBuffer.
 */
export interface Storage {
  /** Name of the backend that owns this storage. */
  readonly owner: string;
  /** Byte address in the owner's Wasm memory, or -1 when not in Wasm memory. */
  readonly address: number;
  /** Size in bytes. */
  readonly byteLength: number;
  /** A current typed-array view over the whole storage (re-made after the memory grows). */
  view(dtype: DType): FloatArray;
  /** Returns the storage to its owner. Views made from it must not be used afterwards. */
  release(): void;
  /** True once released. */
  readonly released: boolean;
}

/** Storage in an ordinary ArrayBuffer, owned by no Wasm memory. */
export class HeapStorage implements Storage {
  readonly address = -1;
  released = false;
  private readonly buffer: ArrayBuffer;
  constructor(readonly owner: string, readonly byteLength: number) {
    this.buffer = new ArrayBuffer(byteLength);
  }
  view(dtype: DType): FloatArray {
    const T = arrayType(dtype);
    return new T(this.buffer, 0, this.byteLength / bytesPer(dtype));
  }
  release(): void {
    this.released = true;
  }
}

/**
 * A row-major matrix view: element (i, j) is data[offset + i * stride + j].
 * A column vector is an n x 1 matrix, a row vector 1 x n.
 *
 * @example
 * const la = await init();
 * const A = la.matrix(2, 3, 'float32');
 * A.set(0, 1, 5);
 * A.get(0, 1); // 5
 */
export class Matrix<D extends DType = DType> {
  constructor(
    readonly storage: Storage,
    readonly dtype: D,
    readonly rows: number,
    readonly cols: number,
    /** Distance between rows, in elements (the leading dimension); at least cols. */
    readonly stride: number = cols,
    /** Element offset of (0, 0) inside the storage. */
    readonly offset: number = 0,
  ) {
    const need = rows === 0 || cols === 0 ? 0 : offset + (rows - 1) * stride + cols;
    if (stride < cols) throw rangeError('Matrix', 'stride', stride, `>= cols (${cols})`);
    if (need * bytesPer(dtype) > storage.byteLength) {
      throw rangeError('Matrix', 'shape', `${rows}x${cols} stride ${stride} offset ${offset}`, 'to fit its storage');
    }
  }

  /** Typed array over the whole storage; element (i, j) is at offset + i * stride + j. */
  get data(): D extends 'float32' ? Float32Array : Float64Array {
    return this.storage.view(this.dtype) as D extends 'float32' ? Float32Array : Float64Array;
  }

  /** Byte address of element (0, 0) in Wasm memory, or -1. */
  get address(): number {
    return this.storage.address < 0 ? -1 : this.storage.address + this.offset * bytesPer(this.dtype);
  }

  /** Number of elements (rows * cols). */
  get size(): number {
    return this.rows * this.cols;
  }

  /** True when rows are adjacent in storage (stride == cols). */
  get contiguous(): boolean {
    return this.stride === this.cols || this.rows <= 1;
  }

  get(i: number, j: number): number {
    return this.data[this.offset + i * this.stride + j];
  }

  set(i: number, j: number, value: number): void {
    this.data[this.offset + i * this.stride + j] = value;
  }

  /** A view of rows [r0, r0+rows) and columns [c0, c0+cols), sharing storage. */
  view(r0: number, c0: number, rows: number, cols: number): Matrix<D> {
    if (r0 < 0 || c0 < 0 || rows < 0 || cols < 0 || r0 + rows > this.rows || c0 + cols > this.cols) {
      throw rangeError('Matrix.view', 'window', `[${r0}, ${c0}] ${rows}x${cols}`, `inside ${this.rows}x${this.cols}`);
    }
    return new Matrix(this.storage, this.dtype, rows, cols, this.stride, this.offset + r0 * this.stride + c0);
  }

  /** Copies values in from a row-major array of rows * cols numbers. */
  assign(values: ArrayLike<number>): this {
    if (values.length !== this.size) {
      throw rangeError('Matrix.assign', 'values', `length ${values.length}`, `length ${this.size} (${this.rows}x${this.cols})`);
    }
    const d = this.data;
    for (let i = 0; i < this.rows; i++) {
      const o = this.offset + i * this.stride;
      for (let j = 0; j < this.cols; j++) d[o + j] = values[i * this.cols + j];
    }
    return this;
  }

  /** A compact row-major copy of the values in a new array of the matrix's dtype. */
  toArray(): D extends 'float32' ? Float32Array : Float64Array {
    const T = arrayType(this.dtype);
    const out = new T(this.size);
    const d = this.data;
    for (let i = 0; i < this.rows; i++) {
      out.set(d.subarray(this.offset + i * this.stride, this.offset + i * this.stride + this.cols), i * this.cols);
    }
    return out as D extends 'float32' ? Float32Array : Float64Array;
  }

  /** Rows as nested arrays (for printing and tests). */
  toNested(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) {
      const row: number[] = [];
      for (let j = 0; j < this.cols; j++) row.push(this.get(i, j));
      out.push(row);
    }
    return out;
  }

  /** Returns the storage to its backend; this matrix and its views are unusable afterwards. */
  free(): void {
    this.storage.release();
  }
}
