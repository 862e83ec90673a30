import type { Matrix } from '../../../core/matrix.js';
import type { CrossEntropyResult } from '../../types.js';
import type { WasmContext } from '../context.js';

/** Summed cross-entropy through scrossEntropy / dcrossEntropy; the pair comes back in the workspace. */
export function crossEntropy(w: WasmContext, logits: Matrix, targets: Matrix<'int32'>): CrossEntropyResult {
  const x = w.exports;
  return w.call([logits, targets], [false, false], x.crossEntropyWorkBytes(), ([l, t], work) => {
    const inc = targets.rows === 1 ? 1 : t.ld;
    (logits.dtype === 'float32' ? x.scrossEntropy : x.dcrossEntropy)(logits.rows, logits.cols, l.ptr, l.ld, t.ptr, inc, work);
    const [sum, invalid] = new Float64Array(w.arena.memory.buffer, work, 2);
    return { sum, invalid };
  });
}
