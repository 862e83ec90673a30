// What a Wasm kernel wrapper needs: the exports, the arena, and a way to hand a matrix to a
// kernel by address. Matrices from this backend's arena pass straight through; a matrix that
// lives elsewhere (another backend, another Wasm memory) is staged into the arena for the call
// and, if the kernel writes it, copied back afterwards.
import { arrayType, bytesPer } from '../../core/dtype.js';
import { Matrix } from '../../core/matrix.js';
import { Arena, MemoryStorage } from './arena.js';
import type { KernelExports } from './exports.js';

/** A matrix as a kernel sees it: an address and a leading dimension in elements. */
export interface Operand {
  ptr: number;
  ld: number;
}

/** A typed array handed to a kernel through WasmContext.callWith; null passes address 0. */
export interface ArrayArg {
  array: Uint8Array | Int32Array | Float32Array | Float64Array | null;
  /** Copy the arena's bytes back into `array` after the call. */
  written: boolean;
}

export class WasmContext {
  /** Set by dispose(); every later call fails. */
  closed = false;

  constructor(
    readonly name: string,
    readonly exports: KernelExports,
    readonly arena: Arena,
  ) {}

  /** True when the matrix lives in this context's memory. */
  owns(M: Matrix<any>): boolean {
    return M.storage instanceof MemoryStorage && M.storage.arena === this.arena;
  }

  /**
   * Runs `body` with every matrix given as an operand. `written[i]` marks the matrices the
   * kernel writes; staged copies of those are copied back. Scratch of `workBytes` is passed too.
   */
  call<R>(mats: readonly Matrix<any>[], written: readonly boolean[], workBytes: number, body: (ops: Operand[], work: number) => R): R {
    return this.callWith(mats, written, [], workBytes, (ops, _ptrs, work) => body(ops, work));
  }

  /**
   * Like call, with typed arrays (masks, counts, losses) staged too: each is copied into the
   * arena and its address handed to `body` in `ptrs` (0 for a null array); those marked
   * `written` are copied back after the kernel returns. The same Matrix object given twice is
   * staged once (so a kernel sees aliasing as aliasing). Everything staged is freed, also on throw.
   * @example
   * ctx.callWith([W], [false], [{ array: mask, written: true }], 0, ([w], [m]) => kernel(w.ptr, w.ld, m));
   */
  callWith<R>(mats: readonly Matrix<any>[], written: readonly boolean[], arrays: readonly ArrayArg[], workBytes: number,
    body: (ops: Operand[], ptrs: number[], work: number) => R): R {
    if (this.closed) throw new Error(`iobs: backend ${this.name} was disposed`);
    const staged: { M: Matrix<any>; ptr: number; written: boolean }[] = [];
    const blocks: number[] = [];
    try {
      const ops = mats.map((M, i) => {
        if (this.owns(M)) return { ptr: M.address, ld: M.stride };
        const again = staged.find((s) => s.M === M);
        if (again) {
          again.written ||= written[i];
          return { ptr: again.ptr, ld: M.cols };
        }
        const ptr = this.arena.alloc(M.size * bytesPer(M.dtype), false);
        staged.push({ M, ptr, written: written[i] });
        const T = arrayType(M.dtype);
        new T(this.arena.memory.buffer, ptr, M.size).set(M.toArray() as never);
        return { ptr, ld: M.cols };
      });
      const ptrs = arrays.map(({ array }) => {
        if (!array) return 0;
        const ptr = this.arena.alloc(array.byteLength, false);
        blocks.push(ptr);
        new Uint8Array(this.arena.memory.buffer, ptr, array.byteLength).set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
        return ptr;
      });
      const work = workBytes > 0 ? this.arena.alloc(workBytes, false) : 0;
      if (work) blocks.push(work);
      const result = body(ops, ptrs, work);
      for (const { M, ptr, written: w } of staged) {
        if (!w) continue;
        const T = arrayType(M.dtype);
        M.assign(new T(this.arena.memory.buffer, ptr, M.size));
      }
      arrays.forEach(({ array, written: w }, i) => {
        if (!array || !w) return;
        new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(new Uint8Array(this.arena.memory.buffer, ptrs[i], array.byteLength));
      });
      return result;
    } finally {
      for (const ptr of blocks) this.arena.release(ptr);
      for (const { ptr } of staged) this.arena.release(ptr);
    }
  }
}
