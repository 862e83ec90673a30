import type { Mask, Matrix } from '../../../core/matrix.js';
import type { MaskRule } from '../../types.js';
import type { WasmContext } from '../context.js';

/** The kernel's (kind, prune, m) for a block's rule on rows x b. */
function ruleArgs(rule: MaskRule, rows: number, b: number): [number, number, number] {
  if (rule.kind === 'layer') return [0, rows * b - rule.keep, 0];
  if (rule.kind === 'row') return [1, b - rule.keep, 0];
  return [2, rule.m - rule.n, rule.m];
}

/** SparseGPT's column loop of one block through ssparsegpt / dsparsegpt (mask: rows x b uint8, contiguous). */
export function sparsegptBlock(w: WasmContext, W1: Matrix, U1: Matrix, rule: MaskRule, Err1: Matrix, mask: Mask): number {
  const single = W1.dtype === 'float32';
  const rows = W1.rows, b = W1.cols;
  const [kind, prune, m] = ruleArgs(rule, rows, b);
  const x = w.exports;
  const work = single ? x.ssparsegptWorkBytes(rows, b, kind, m) : x.dsparsegptWorkBytes(rows, b, kind, m);
  const info = w.call([W1, U1, Err1, mask], [true, false, true, true], work,
    ([a, u, e, mp], scratch) => (single ? x.ssparsegpt : x.dsparsegpt)(rows, b, a.ptr, a.ld, u.ptr, u.ld, kind, prune, m, e.ptr, e.ld, mp.ptr, scratch),
  );
  return info === 0 ? -1 : info - 1;
}
