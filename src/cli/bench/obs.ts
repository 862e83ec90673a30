// Bench entries for the OBS kernels (float32, size n): selectMask on an n x n layer, obsGreedy
// and solveOnSupport on OBS_ROWS rows of n columns, through the facade with masks and counts in
// backend storage. Each check is independent of the kernel and reads what it needs with la.read:
// ranks for the mask, float64 optimality and residuals for the solvers.
import type { Linalg } from '../../linalg/linalg.js';
import type { Mask, Matrix } from '../../core/matrix.js';
import { type KernelEntryLike, randomValues } from './util.js';

/** Rows of W (each with its own n x n solve) in the obsGreedy and solveOnSupport entries. */
const OBS_ROWS = 4;

interface MaskState {
  la: Linalg;
  n: number;
  W: Matrix<'float32'>;
  weight: Matrix<'float32'>;
  mask: Mask;
}

/** Half of an n x n layer kept by W²·weight ('layer' rule): counted as n² "flops" like stopk. */
const selectMaskEntry: KernelEntryLike<MaskState> = {
  kernel: 'selectMask',
  flops: (n) => n * n,
  prepare: async (la, n, rand) => ({
    la,
    n,
    W: la.fromArray(randomValues(n * n, rand), n, n, 'float32'),
    weight: la.fromArray(randomValues(n, rand).map((v) => 1.5 + v), 1, n, 'float32'),
    mask: la.mask(n, n),
  }),
  run: (s) => s.la.selectMask(s.W, s.weight, { kind: 'layer', keep: (s.n * s.n) >> 1 }, s.mask),
  // Exactly half kept, and every kept score is at least every dropped one.
  check: async (s) => {
    const w = await s.la.read(s.W), cw = await s.la.read(s.weight), mask = await s.la.read(s.mask), n = s.n;
    let kept = 0, minIn = Infinity, maxOut = -Infinity;
    for (let i = 0; i < n * n; i++) {
      const score = w[i] * w[i] * cw[i % n];
      if (mask[i] === 1) (kept++, (minIn = Math.min(minIn, score)));
      else maxOut = Math.max(maxOut, score);
    }
    if (kept !== (n * n) >> 1 || minIn < maxOut) throw new Error(`bench: selectMask n=${n} kept a wrong set`);
  },
  release: (s) => {
    s.W.free();
    s.weight.free();
    s.mask.free();
  },
};

interface SolverState {
  la: Linalg;
  n: number;
  /** SPD H = G Gᵀ / n + I as float64, for the checks. */
  h: Float64Array;
  /** H in la's memory, or H⁻¹ for obsGreedy. */
  H: Matrix<'float32'>;
  W: Matrix<'float32'>;
  w0: Float32Array;
  X: Matrix<'float32'>;
  /** The keep-mask: solveOnSupport's input (a random half per row), obsGreedy's output. */
  M: Mask;
  /** M's values as made (the support of the solve). */
  mask: Uint8Array;
  /** Removals per row (OBS_ROWS x 1 int32): half of each row. */
  counts: Matrix<'int32'>;
}

/** The shared inputs: H (or H⁻¹ with `inverse`), OBS_ROWS rows of random W, a random half mask per row. */
async function solverState(la: Linalg, n: number, rand: () => number, inverse: boolean): Promise<SolverState> {
  const G = la.fromArray(randomValues(n * n, rand), n, n, 'float32');
  const H = la.matrix(n, n, 'float32');
  try {
    await la.sgemm(G, G, H, { transB: true, alpha: 1 / n });
    await la.addDiagonal(H, 1);
  } finally {
    G.free();
  }
  const h = Float64Array.from(await la.read(H));
  if (inverse && (await la.spotri(H)) !== 0) throw new Error('bench: spotri failed on an SPD input');
  const W = la.fromArray(randomValues(OBS_ROWS * n, rand), OBS_ROWS, n, 'float32');
  const mask = new Uint8Array(OBS_ROWS * n);
  for (let i = 0; i < mask.length; i++) mask[i] = rand() < 0.5 ? 1 : 0;
  const counts = la.fromArray(new Int32Array(OBS_ROWS).fill(n >> 1), OBS_ROWS, 1, 'int32');
  return { la, n, h, H, W, w0: await la.read(W), X: la.matrix(OBS_ROWS, n, 'float32'), M: la.fromArray(mask, OBS_ROWS, n, 'uint8'), mask, counts };
}

/** max over i in S of |(H x − b)_i|, relative to the largest |(H x)_i| or |b_i| there (float64). */
function supportResidual(h: Float64Array, n: number, x: ArrayLike<number>, b: ArrayLike<number>, S: (i: number) => boolean): number {
  let res = 0, scale = 0;
  for (let i = 0; i < n; i++) {
    if (!S(i)) continue;
    let hx = 0;
    for (let j = 0; j < n; j++) hx += h[i * n + j] * x[j];
    res = Math.max(res, Math.abs(hx - b[i]));
    scale = Math.max(scale, Math.abs(hx), Math.abs(b[i]));
  }
  return res / (scale || 1);
}

function release(s: SolverState): void {
  for (const M of [s.H, s.W, s.X, s.M, s.counts]) M.free();
}

/**
 * Σ over the removal steps of 2·(live columns)²: a full downdate on the live columns. Nominal: the
 * kernel updates one triangle, about half of it, so GFLOP/s here compare runs, not hardware peaks.
 */
function greedyFlops(n: number): number {
  let f = 0;
  for (let t = 0; t < n >> 1; t++) f += 2 * (n - t) * (n - t);
  return OBS_ROWS * f;
}

/** Greedy OBS removal of half of every row (W restored from a copy before each run: O(n) of O(n³)). */
const obsGreedyEntry: KernelEntryLike<SolverState> = {
  kernel: 'obsGreedy',
  flops: greedyFlops,
  prepare: (la, n, rand) => solverState(la, n, rand, true),
  run: async (s) => {
    s.la.write(s.W, s.w0);
    const info = await s.la.obsGreedy(s.W, s.H, s.counts, s.M);
    if (info !== -1) throw new Error(`bench: obsGreedy n=${s.n} failed at row ${info}`);
  },
  // Half removed (exact zeros) and the first row is the exact minimiser on its support: H(ŵ − w) ≈ 0 on S.
  check: async (s) => {
    const n = s.n, wh = await s.la.read(s.W), mask = await s.la.read(s.M);
    for (let r = 0; r < OBS_ROWS; r++) {
      let removed = 0, zeros = true;
      for (let j = 0; j < n; j++) {
        if (mask[r * n + j]) continue;
        removed++;
        zeros &&= wh[r * n + j] === 0;
      }
      if (removed !== n >> 1 || !zeros) throw new Error(`bench: obsGreedy n=${n} row ${r} removed ${removed} (want ${n >> 1}), all zero ${zeros}`);
    }
    const Hw = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Hw[i] += s.h[i * n + j] * s.w0[j];
    const rel = supportResidual(s.h, n, wh.subarray(0, n), Hw, (i) => mask[i] === 1);
    if (!(rel <= 1e-2)) throw new Error(`bench: obsGreedy n=${n} is not optimal on its support (relative residual ${rel})`);
  },
  release,
};

/** Factor of H[S,S] (|S| ≈ n/2, a different S per row) and two triangular solves, per row. */
const solveEntry: KernelEntryLike<SolverState> = {
  kernel: 'solveOnSupport',
  flops: (n) => OBS_ROWS * ((n / 2) ** 3 / 3 + 2 * (n / 2) ** 2),
  prepare: (la, n, rand) => solverState(la, n, rand, false),
  run: async (s) => {
    const info = await s.la.solveOnSupport(s.H, s.W, s.M, s.X);
    if (info !== -1) throw new Error(`bench: solveOnSupport n=${s.n} failed at row ${info}`);
  },
  check: async (s) => {
    const n = s.n, x = await s.la.read(s.X);
    for (const r of [0, OBS_ROWS - 1]) {
      const on = (i: number) => s.mask[r * n + i] === 1;
      const rel = supportResidual(s.h, n, x.subarray(r * n, r * n + n), s.w0.subarray(r * n, r * n + n), on);
      let off = true;
      for (let j = 0; j < n; j++) if (!on(j) && x[r * n + j] !== 0) off = false;
      if (!(rel <= 1e-3) || !off) throw new Error(`bench: solveOnSupport n=${n} row ${r}: relative residual ${rel}, zeros off S ${off}`);
    }
  },
  release,
};

/** The bench entries of this file. */
export const OBS_KERNELS = [selectMaskEntry, obsGreedyEntry, solveEntry];
