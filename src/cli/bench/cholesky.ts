// Bench entries for the Cholesky family: spotrf, strsm, spotri, sinvchol (float32, n x n).
// The factorisations work in place, so each run starts by restoring the SPD input from a saved
// copy with la.write (n² element copies beside n³/3 or more flops: about 1% at n = 256, less above).
import type { Linalg } from '../../linalg/linalg.js';
import type { Matrix } from '../../core/matrix.js';
import { checkGemm, type KernelEntryLike, randomValues, U32 } from './util.js';

interface SpdState {
  la: Linalg;
  n: number;
  /** The SPD input, G Gᵀ / n + I (eigenvalues in about [1, 5]). */
  spd: Float32Array;
  A: Matrix<'float32'>;
  B?: Matrix<'float32'>;
  rhs?: Float32Array;
}

async function spdInput(la: Linalg, n: number, rand: () => number): Promise<Float32Array> {
  const G = la.fromArray(randomValues(n * n, rand), n, n, 'float32');
  const S = la.matrix(n, n, 'float32');
  try {
    await la.sgemm(G, G, S, { transB: true, alpha: 3 / n });
    await la.addDiagonal(S, 1);
    return await la.read(S);
  } finally {
    G.free();
    S.free();
  }
}

function transpose(a: ArrayLike<number>, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
  return t;
}

/**
 * Checks A x_j = e_j in float64 for a few columns, where x_j is column j of the computed
 * inverse; the tolerance is 40·n·u, generous for the condition number (about 5) of the input,
 * yet far below the O(1) errors of a wrong or skipped computation.
 */
function checkInverseColumns(what: string, s: SpdState, rand: () => number, column: (j: number) => Float64Array): void {
  const n = s.n, tol = 40 * n * U32;
  for (let t = 0; t < 4; t++) {
    const j = Math.floor(rand() * n), x = column(j);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let k = 0; k < n; k++) r += s.spd[i * n + k] * x[k];
      const err = Math.abs(r - (i === j ? 1 : 0));
      if (!(err <= tol)) throw new Error(`bench: ${what} n=${n} gives a wrong inverse: (A A⁻¹)[${i},${j}] is off by ${err.toExponential(2)} (allowed ${tol.toExponential(2)})`);
    }
  }
}

function failIf(info: number, what: string): void {
  if (info !== 0) throw new Error(`bench: ${what} failed on an SPD input (info ${info})`);
}

function spdEntry(kernel: string, flops: (n: number) => number, run: (s: SpdState) => Promise<void>, check: (s: SpdState, rand: () => number) => Promise<void>, withRhs = false): KernelEntryLike<SpdState> {
  return {
    kernel,
    flops,
    async prepare(la, n, rand) {
      const spd = await spdInput(la, n, rand);
      const s: SpdState = { la, n, spd, A: la.fromArray(spd, n, n, 'float32') };
      if (withRhs) {
        s.rhs = Float32Array.from(randomValues(n * n, rand));
        s.B = la.fromArray(s.rhs, n, n, 'float32');
        failIf(await la.spotrf(s.A), 'spotrf');
      }
      return s;
    },
    run,
    check,
    release(s) {
      s.A.free();
      s.B?.free();
    },
  };
}

/** The bench entries of this file. */
export const CHOLESKY_KERNELS = [
  spdEntry(
    'spotrf',
    (n) => (n * n * n) / 3,
    async (s) => {
      s.la.write(s.A, s.spd);
      failIf(await s.la.spotrf(s.A), 'spotrf');
    },
    // L Lᵀ = A.
    async (s, rand) => {
      const L = await s.la.read(s.A);
      checkGemm('spotrf (L Lᵀ against A)', s.n, { a: L, b: transpose(L, s.n), c: s.spd }, U32, rand);
    },
  ),
  spdEntry(
    'strsm',
    (n) => n * n * n,
    async (s) => {
      s.la.write(s.B!, s.rhs!);
      await s.la.strsm(s.A, s.B!);
    },
    // L X = B with L the Cholesky factor made in prepare.
    async (s, rand) => checkGemm('strsm (L X against B)', s.n, { a: await s.la.read(s.A), b: await s.la.read(s.B!), c: s.rhs! }, U32, rand),
    true,
  ),
  spdEntry(
    'spotri',
    (n) => n * n * n,
    async (s) => {
      s.la.write(s.A, s.spd);
      failIf(await s.la.spotri(s.A), 'spotri');
    },
    // A (A⁻¹ e_j) = e_j for a few columns j.
    async (s, rand) => {
      const n = s.n, X = await s.la.read(s.A);
      checkInverseColumns('spotri', s, rand, (j) => Float64Array.from({ length: n }, (_, i) => X[i * n + j]));
    },
  ),
  spdEntry(
    'sinvchol',
    (n) => (2 * n * n * n) / 3,
    async (s) => {
      s.la.write(s.A, s.spd);
      failIf(await s.la.sinvchol(s.A), 'sinvchol');
    },
    // A⁻¹ e_j = Uᵀ (U e_j) for a few columns j.
    async (s, rand) => {
      const n = s.n, U = await s.la.read(s.A);
      checkInverseColumns('sinvchol', s, rand, (j) => {
        const x = new Float64Array(n);
        for (let k = 0; k <= j; k++) {
          const ukj = U[k * n + j];
          for (let i = k; i < n; i++) x[i] += U[k * n + i] * ukj;
        }
        return x;
      });
    },
  ),
];
