import type { Matrix } from '../../../core/matrix.js';
import type { LammaxResult } from '../../types.js';
import type { WasmContext } from '../context.js';

/** λ_max by power iteration through slammax / dlammax; the result triple comes back in the workspace. */
export function lammax(w: WasmContext, A: Matrix, maxIterations: number, tolerance: number, seed: number): LammaxResult {
  const single = A.dtype === 'float32';
  const n = A.rows;
  const x = w.exports;
  return w.call([A], [false], single ? x.slammaxWorkBytes(n) : x.dlammaxWorkBytes(n), ([a], work) => {
    (single ? x.slammax : x.dlammax)(n, a.ptr, a.ld, maxIterations, tolerance, seed >>> 0, work);
    const [value, iterations, converged] = new Float64Array(w.arena.memory.buffer, work, 3);
    return { value, iterations, converged: converged !== 0 };
  });
}
