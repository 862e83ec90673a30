// The kernels `iobs bench` times: one entry each. An entry makes its inputs for a size n in
// the Linalg's memory (prepare), runs the kernel once on them (run: this is what is timed),
// checks the last run's output against float64 arithmetic (check: once per size, so the work
// cannot be skipped or wrong unnoticed), and frees its matrices (release).
// A further kernel is one more entry in KERNELS.
import type { Linalg } from '../../linalg/linalg.js';
import type { Matrix } from '../../core/matrix.js';
import { checkGemm, type KernelEntryLike, randomValues, U32, U64 } from './util.js';
import { CHOLESKY_KERNELS } from './cholesky.js';
import { SELECTION_KERNELS } from './selection.js';
import { OBS_KERNELS } from './obs.js';

export type KernelEntry<S = any> = KernelEntryLike<S>;

interface GemmState<D extends 'float32' | 'float64'> {
  la: Linalg;
  n: number;
  A: Matrix<D>;
  B: Matrix<D>;
  C: Matrix<D>;
}

/** C = A B, all n x n (NN): 2n³ flops. */
function gemmEntry<D extends 'float32' | 'float64'>(kernel: 'sgemm' | 'dgemm', dtype: D): KernelEntry<GemmState<D>> {
  return {
    kernel,
    flops: (n) => 2 * n * n * n,
    prepare: (la, n, rand) => ({
      la,
      n,
      A: la.fromArray(randomValues(n * n, rand), n, n, dtype),
      B: la.fromArray(randomValues(n * n, rand), n, n, dtype),
      C: la.matrix(n, n, dtype),
    }),
    run: (s) => {
      if (kernel === 'sgemm') s.la.sgemm(s.A as Matrix<'float32'>, s.B as Matrix<'float32'>, s.C as Matrix<'float32'>);
      else s.la.dgemm(s.A as Matrix<'float64'>, s.B as Matrix<'float64'>, s.C as Matrix<'float64'>);
    },
    check: (s, rand) =>
      checkGemm(`${kernel} on ${s.la.backendName}`, s.n, {
        a: s.A.data, aOffset: s.A.offset,
        b: s.B.data, bOffset: s.B.offset,
        c: s.C.data, cOffset: s.C.offset,
      }, dtype === 'float32' ? U32 : U64, rand),
    release: (s) => {
      s.A.free();
      s.B.free();
      s.C.free();
    },
  };
}

/** Every kernel the bench knows, in the order they are timed. */
export const KERNELS: readonly KernelEntry[] = [gemmEntry('sgemm', 'float32'), gemmEntry('dgemm', 'float64'), ...CHOLESKY_KERNELS, ...SELECTION_KERNELS, ...OBS_KERNELS];
