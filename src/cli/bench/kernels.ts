// The kernels `iobs bench` times: one entry each. An entry makes its inputs for a size n in
// the Linalg's memory (prepare), runs the kernel once on them (run: this is what is timed, every
// call awaited), checks the last run's output against float64 arithmetic (check: once per size,
// on values read back with la.read, so the work cannot be skipped or wrong unnoticed), and frees
// its matrices (release). A further kernel is one more entry in KERNELS.
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
    prepare: async (la, n, rand) => ({
      la,
      n,
      A: la.fromArray(randomValues(n * n, rand), n, n, dtype),
      B: la.fromArray(randomValues(n * n, rand), n, n, dtype),
      C: la.matrix(n, n, dtype),
    }),
    run: async (s) => {
      if (kernel === 'sgemm') await s.la.sgemm(s.A as Matrix<'float32'>, s.B as Matrix<'float32'>, s.C as Matrix<'float32'>);
      else await s.la.dgemm(s.A as Matrix<'float64'>, s.B as Matrix<'float64'>, s.C as Matrix<'float64'>);
    },
    check: async (s, rand) =>
      checkGemm(`${kernel} on ${s.la.backendName}`, s.n, {
        a: await s.la.read(s.A),
        b: await s.la.read(s.B),
        c: await s.la.read(s.C),
      }, dtype === 'float32' ? U32 : U64, rand),
    release: (s) => {
      s.A.free();
      s.B.free();
      s.C.free();
    },
  };
}

interface AwaitState {
  la: Linalg;
  n: number;
  /** A 1 x 1 float64 matrix that counts the calls (exact up to 2^53). */
  A: Matrix<'float64'>;
  calls: number;
}

/**
 * The price of the async facade: one run is n calls of `await la.addDiagonal(A, 1)` on a 1 x 1
 * matrix, each waiting for the one before, so the time is per-call overhead (validation, the
 * backend call, the promise and the await), not work. Counted as one "flop" per call: the
 * GFLOP/s column reads as 10⁹ awaited calls per second, seconds / n as the cost of one.
 */
const awaitEntry: KernelEntry<AwaitState> = {
  kernel: 'await',
  flops: (n) => n,
  prepare: async (la, n) => ({ la, n, A: la.matrix(1, 1, 'float64'), calls: 0 }),
  run: async (s) => {
    for (let i = 0; i < s.n; i++) await s.la.addDiagonal(s.A, 1);
    s.calls += s.n;
  },
  // Every call was made and took effect, in order.
  check: async (s) => {
    const got = (await s.la.read(s.A))[0];
    if (got !== s.calls) throw new Error(`bench: await n=${s.n} counted ${got} calls, made ${s.calls}`);
  },
  release: (s) => s.A.free(),
};

/** Every kernel the bench knows, in the order they are timed. */
export const KERNELS: readonly KernelEntry[] = [gemmEntry('sgemm', 'float32'), gemmEntry('dgemm', 'float64'), ...CHOLESKY_KERNELS, ...SELECTION_KERNELS, ...OBS_KERNELS, awaitEntry];
