// What a Wasm kernel wrapper needs: the exports, the arena, and a way to hand a matrix to a
// kernel by address. Matrices from this backend's arena pass straight through; a matrix that
// lives elsewhere (another backend, another Wasm memory) is staged into the arena for the call
// and, if the kernel writes it, copied back afterwards.
import { bytesPer } from '../../core/dtype.js';
import { Matrix } from '../../core/matrix.js';
import { Arena, MemoryStorage } from './arena.js';
import type { KernelExports } from './exports.js';

/** A matrix as a kernel sees it: an address and a leading dimension in elements. */
export interface Operand {
  ptr: number;
  ld: number;
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
  owns(M: Matrix): boolean {
    return M.storage instanceof MemoryStorage && M.storage.arena === this.arena;
  }

  /**
   * Runs `body` with every matrix given as an operand. `written[i]` marks the matrices the
   * kernel writes; staged copies of those are copied back. Scratch of `workBytes` is passed too.
   */
  call<R>(mats: readonly Matrix[], written: readonly boolean[], workBytes: number, body: (ops: Operand[], work: number) => R): R {
    if (this.closed) throw new Error(`iobs: backend ${this.name} was disposed`);
    const staged: { M: Matrix; ptr: number }[] = [];
    let work = 0;
    try {
      const ops = mats.map((M) => {
        if (this.owns(M)) return { ptr: M.address, ld: M.stride };
        const ptr = this.arena.alloc(M.size * bytesPer(M.dtype), false);
        staged.push({ M, ptr });
        const T = M.dtype === 'float32' ? Float32Array : Float64Array;
        new T(this.arena.memory.buffer, ptr, M.size).set(M.toArray());
        return { ptr, ld: M.cols };
      });
      if (workBytes > 0) work = this.arena.alloc(workBytes, false);
      const result = body(ops, work);
      for (const { M, ptr } of staged) {
        if (!written[mats.indexOf(M)]) continue;
        const T = M.dtype === 'float32' ? Float32Array : Float64Array;
        M.assign(new T(this.arena.memory.buffer, ptr, M.size));
      }
      return result;
    } finally {
      if (work) this.arena.release(work);
      for (const { ptr } of staged) this.arena.release(ptr);
    }
  }
}
