import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** OBS rank-1 downdate of Hinv at p through sdowndate / ddowndate. */
export function downdate(w: WasmContext, Hinv: Matrix, p: number): void {
  const single = Hinv.dtype === 'float32';
  const n = Hinv.rows;
  const x = w.exports;
  const info = w.call([Hinv], [true], single ? x.sdowndateWorkBytes(n) : x.ddowndateWorkBytes(n), ([a], work) =>
    (single ? x.sdowndate : x.ddowndate)(n, a.ptr, a.ld, p, work),
  );
  if (info !== 0) throw new RangeError(`iobs: ${single ? 's' : 'd'}downdate: pivot Hinv[${p}, ${p}] is not finite and positive`);
}
