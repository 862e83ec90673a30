// A first-fit allocator over a Wasm memory that the facade owns. Blocks are 64-byte aligned
// (cache lines; v128 loads want 16), freed blocks coalesce with their neighbours, and the
// memory grows on demand. Typed-array views must be re-made after a grow: MemoryStorage.view
// does that by comparing buffers.
import type { ArrayFor, StorageArray, StorageDType } from '../../core/dtype.js';
import { arrayType, bytesPer } from '../../core/dtype.js';
import type { Storage } from '../../core/matrix.js';

const ALIGN = 64;
const PAGE = 65536;

function alignUp(x: number): number {
  return Math.ceil(x / ALIGN) * ALIGN;
}

export class Arena {
  /** Free segments [start, size], sorted by start, never adjacent. */
  private free: [number, number][] = [];
  private readonly used = new Map<number, number>();
  private top: number;
  private allocated = 0;
  private peak = 0;

  constructor(readonly memory: WebAssembly.Memory, base: number) {
    this.top = alignUp(base);
  }

  /** Bytes currently allocated. */
  get allocatedBytes(): number {
    return this.allocated;
  }

  /** The most bytes allocated at once since the arena was made or resetPeak() was called. */
  get peakBytes(): number {
    return this.peak;
  }

  /** Starts a new peak from what is allocated now. */
  resetPeak(): void {
    this.peak = this.allocated;
  }

  /** Allocates `bytes` zero-filled bytes; returns the address. */
  alloc(bytes: number, zero = true): number {
    const size = alignUp(Math.max(bytes, 1));
    let ptr = -1;
    for (let i = 0; i < this.free.length; i++) {
      const [start, len] = this.free[i];
      if (len >= size) {
        ptr = start;
        if (len === size) this.free.splice(i, 1);
        else this.free[i] = [start + size, len - size];
        break;
      }
    }
    if (ptr < 0) {
      ptr = this.top;
      this.ensure(ptr + size);
      this.top = ptr + size;
    }
    this.used.set(ptr, size);
    this.allocated += size;
    if (this.allocated > this.peak) this.peak = this.allocated;
    if (zero) new Uint8Array(this.memory.buffer, ptr, size).fill(0);
    return ptr;
  }

  /** Returns a block to the free list. */
  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) throw new Error(`iobs: arena release of unknown address ${ptr}`);
    this.used.delete(ptr);
    this.allocated -= size;
    if (ptr + size === this.top) {
      this.top = ptr;
      // The block below the top may now be free and end at the top too.
      const last = this.free[this.free.length - 1];
      if (last && last[0] + last[1] === this.top) {
        this.top = last[0];
        this.free.pop();
      }
      return;
    }
    let i = 0;
    while (i < this.free.length && this.free[i][0] < ptr) i++;
    this.free.splice(i, 0, [ptr, size]);
    const next = this.free[i + 1];
    if (next && ptr + size === next[0]) {
      this.free[i][1] += next[1];
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev[0] + prev[1] === ptr) {
      prev[1] += this.free[i][1];
      this.free.splice(i, 1);
    }
  }

  /** Grows the memory until it holds `end` bytes. */
  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    try {
      this.memory.grow(Math.max(pages, Math.ceil(have / PAGE / 4)));
    } catch {
      try {
        this.memory.grow(pages);
      } catch {
        throw new RangeError(`iobs: out of Wasm memory: need ${end} bytes, have ${have}`);
      }
    }
  }
}

/** Storage for one arena block; views are re-made when the memory's buffer changes. */
export class MemoryStorage implements Storage {
  released = false;
  private cache: { buffer: ArrayBufferLike; dtype: StorageDType; array: StorageArray } | null = null;

  constructor(
    readonly owner: string,
    readonly arena: Arena,
    readonly address: number,
    readonly byteLength: number,
  ) {}

  view<D extends StorageDType>(dtype: D): ArrayFor<D> {
    if (this.released) throw new Error('iobs: use of a matrix after free()');
    const buffer = this.arena.memory.buffer;
    const c = this.cache;
    if (c && c.buffer === buffer && c.dtype === dtype) return c.array as ArrayFor<D>;
    const T = arrayType(dtype);
    const array = new T(buffer, this.address, Math.floor(this.byteLength / bytesPer(dtype))) as ArrayFor<D>;
    this.cache = { buffer, dtype, array };
    return array;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.cache = null;
    this.arena.release(this.address);
  }
}
