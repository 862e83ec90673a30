import { type ArrayFor, type DType, type StorageArray, type StorageDType, arrayType, bytesPer } from './dtype.js';
import { rangeError } from './errors.js';

/**
 * Where a matrix's elements live. A backend hands these out: the Wasm backend's live in its
 * linear memory (address >= 0), the reference backend's in an ordinary ArrayBuffer; a device
 * backend's (WebGPU) are not host memory at all, and `view` throws for them: their values are
 * reached only through `await la.read(M)` and `la.write(M, values)`.
 */
export interface Storage {
  /** Name of the backend that owns this storage. */
  readonly owner: string;
  /** Byte address in the owner's Wasm memory, or -1 when not in Wasm memory. */
  readonly address: number;
  /** Size in bytes. */
  readonly byteLength: number;
  /**
   * A current typed-array view over the whole storage (re-made after the memory grows). Host
   * backends only: a device backend throws, naming la.read / la.write.
   */
  view<D extends StorageDType>(dtype: D): ArrayFor<D>;
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
  constructor(readonly owner: string, readonly byteLength: number, private readonly onRelease?: (bytes: number) => void) {
    this.buffer = new ArrayBuffer(byteLength);
  }
  view<D extends StorageDType>(dtype: D): ArrayFor<D> {
    if (this.released) throw new Error('iobs: use of a matrix after free()');
    const T = arrayType(dtype);
    return new T(this.buffer, 0, Math.floor(this.byteLength / bytesPer(dtype))) as ArrayFor<D>;
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease?.(this.byteLength);
  }
}

/**
 * A row-major matrix: element (i, j) is element offset + i * stride + j of its storage.
 * A column vector is an n x 1 matrix, a row vector 1 x n; a keep-mask is a uint8 matrix.
 *
 * Ownership: a matrix made by la.matrix (or fromArray, copy, convert, mask) owns its storage and
 * free() returns it; a view (M.view(...)) shares its parent's storage, owns nothing, and its
 * free() is an error. Freeing the parent makes every view of it unusable.
 *
 * Host access (data, get, set, assign, toArray) works on host backends (Wasm, reference) only;
 * device-neutral code uses `await la.read(M)` and `la.write(M, values)`.
 *
 * @example
 * const la = await init();
 * const A = la.fromArray([1, 2, 3, 4, 5, 6], 2, 3);
 * await la.read(A.view(0, 1, 2, 2));   // Float32Array [2, 3, 5, 6]
 */
export class Matrix<D extends StorageDType = DType> {
  constructor(
    readonly storage: Storage,
    readonly dtype: D,
    readonly rows: number,
    readonly cols: number,
    /** Distance between rows, in elements (the leading dimension); at least cols. */
    readonly stride: number = cols,
    /** Element offset of (0, 0) inside the storage. */
    readonly offset: number = 0,
    /** The matrix this is a view of (null when it owns its storage). */
    readonly parent: Matrix<D> | null = null,
  ) {
    const need = rows === 0 || cols === 0 ? 0 : offset + (rows - 1) * stride + cols;
    if (stride < cols) throw rangeError('Matrix', 'stride', stride, `>= cols (${cols})`);
    if (need * bytesPer(dtype) > storage.byteLength) {
      throw rangeError('Matrix', 'shape', `${rows}x${cols} stride ${stride} offset ${offset}`, 'to fit its storage');
    }
  }

  /** Host backends only: typed array over the whole storage; element (i, j) is at offset + i * stride + j. */
  get data(): ArrayFor<D> {
    return this.storage.view(this.dtype);
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

  /** True when this matrix owns its storage (it is not a view). */
  get owner(): boolean {
    return this.parent === null;
  }

  /** True once the storage has been freed. */
  get freed(): boolean {
    return this.storage.released;
  }

  /** Host backends only: element (i, j). */
  get(i: number, j: number): number {
    return this.data[this.offset + i * this.stride + j];
  }

  /** Host backends only: sets element (i, j). */
  set(i: number, j: number, value: number): void {
    this.data[this.offset + i * this.stride + j] = value;
  }

  /** A view of rows [r0, r0+rows) and columns [c0, c0+cols), sharing storage; it owns nothing. */
  view(r0: number, c0: number, rows: number, cols: number): Matrix<D> {
    if (r0 < 0 || c0 < 0 || rows < 0 || cols < 0 || r0 + rows > this.rows || c0 + cols > this.cols) {
      throw rangeError('Matrix.view', 'window', `[${r0}, ${c0}] ${rows}x${cols}`, `inside ${this.rows}x${this.cols}`);
    }
    return new Matrix(this.storage, this.dtype, rows, cols, this.stride, this.offset + r0 * this.stride + c0, this.parent ?? this);
  }

  /** Host backends only: copies values in from a row-major array of rows * cols numbers. */
  assign(values: ArrayLike<number>): this {
    if (values.length !== this.size) {
      throw rangeError('Matrix.assign', 'values', `length ${values.length}`, `length ${this.size} (${this.rows}x${this.cols})`);
    }
    const d = this.data;
    if (this.contiguous && this.offset === 0 && ArrayBuffer.isView(values)) {
      (d as StorageArray).set(values as unknown as ArrayLike<number>, 0);
      return this;
    }
    for (let i = 0; i < this.rows; i++) {
      const o = this.offset + i * this.stride;
      for (let j = 0; j < this.cols; j++) d[o + j] = values[i * this.cols + j];
    }
    return this;
  }

  /** Host backends only: a compact row-major copy of the values in a new array of the matrix's dtype. */
  toArray(): ArrayFor<D> {
    const T = arrayType(this.dtype);
    const out = new T(this.size);
    const d = this.data;
    if (this.contiguous) {
      out.set(d.subarray(this.offset, this.offset + this.size) as never);
      return out as ArrayFor<D>;
    }
    for (let i = 0; i < this.rows; i++) {
      out.set(d.subarray(this.offset + i * this.stride, this.offset + i * this.stride + this.cols) as never, i * this.cols);
    }
    return out as ArrayFor<D>;
  }

  /** Host backends only: rows as nested arrays (for printing and tests). */
  toNested(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) {
      const row: number[] = [];
      for (let j = 0; j < this.cols; j++) row.push(this.get(i, j));
      out.push(row);
    }
    return out;
  }

  /**
   * Returns the storage to its backend; this matrix and its views are unusable afterwards.
   * Freeing twice is harmless; freeing a view is an error (it owns nothing).
   */
  free(): void {
    if (this.parent !== null) {
      throw rangeError('Matrix.free', 'this', `a ${this.rows}x${this.cols} view`, 'a matrix that owns its storage (a view shares its parent\'s; free the parent)');
    }
    this.storage.release();
  }
}

/** A keep-mask: uint8, 1 = kept, 0 = pruned. */
export type Mask = Matrix<'uint8'>;
