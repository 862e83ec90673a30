import type { Mask, Matrix } from '../../../core/matrix.js';
import type { MaskRule } from '../../types.js';
import type { WasmContext } from '../context.js';

/** Rule code and its two integers as sselectMask / dselectMask take them. */
function ruleArgs(rule: MaskRule): [number, number, number] {
  if (rule.kind === 'layer') return [0, rule.keep, 0];
  if (rule.kind === 'row') return [1, rule.keep, 0];
  return [2, rule.n, rule.m];
}

/** Keep-mask of W under `rule` through sselectMask / dselectMask (see KernelBackend.selectMask). */
export function selectMask(w: WasmContext, W: Matrix, colWeight: Matrix | null, rule: MaskRule, mask: Mask): void {
  const single = W.dtype === 'float32';
  const rows = W.rows, cols = W.cols;
  if (rows === 0 || cols === 0) return;
  const [code, a, b] = ruleArgs(rule);
  const x = w.exports;
  const mats = colWeight ? [W, mask, colWeight] : [W, mask];
  const work = (single ? x.sselectMaskWorkBytes : x.dselectMaskWorkBytes)(rows, cols, code);
  w.call(mats, [false, true, false], work, ([wm, mo, cw], ws) => {
    const m = mo.ptr;
    // colWeight is 1 x cols (contiguous) or cols x 1 (one element per row of its storage).
    const inc = !colWeight || colWeight.rows === 1 ? 1 : cw.ld;
    (single ? x.sselectMask : x.dselectMask)(rows, cols, wm.ptr, wm.ld, cw ? cw.ptr : 0, inc, colWeight ? 1 : 0, code, a, b, m, ws);
  });
}
