// Bench entries for ssyrk, slammax, stopk and sdowndate (float32, size n).
import type { Linalg } from '../../linalg/linalg.js';
import type { Matrix } from '../../core/matrix.js';
import { checkGemm, type KernelEntryLike, randomValues, U32 } from './util.js';

interface SyrkState {
  la: Linalg;
  n: number;
  X: Matrix<'float32'>;
  C: Matrix<'float32'>;
}

/** C = XᵀX with X n x n: n³ flops (one triangle of 2n³, then mirrored). */
const syrkEntry: KernelEntryLike<SyrkState> = {
  kernel: 'ssyrk',
  flops: (n) => n * n * n,
  prepare: async (la, n, rand) => ({ la, n, X: la.fromArray(randomValues(n * n, rand), n, n, 'float32'), C: la.matrix(n, n, 'float32') }),
  run: (s) => s.la.ssyrk(s.X, s.C),
  check: async (s, rand) => {
    const x = await s.la.read(s.X), n = s.n, xt = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) xt[j * n + i] = x[i * n + j];
    checkGemm('ssyrk (C against XᵀX)', n, { a: xt, b: x, c: await s.la.read(s.C) }, U32, rand);
  },
  release: (s) => {
    s.X.free();
    s.C.free();
  },
};

interface SpdState {
  la: Linalg;
  n: number;
  A: Matrix<'float32'>;
  saved: Float32Array;
  value: number;
  next: number;
}

/** A = G Gᵀ / n + I, n x n (well conditioned, PSD), and a saved copy. */
async function spd(la: Linalg, n: number, rand: () => number): Promise<SpdState> {
  const G = la.fromArray(randomValues(n * n, rand), n, n, 'float32');
  const A = la.matrix(n, n, 'float32');
  try {
    await la.sgemm(G, G, A, { transB: true, alpha: 1 / n });
    await la.addDiagonal(A, 1);
  } finally {
    G.free();
  }
  return { la, n, A, saved: await la.read(A), value: 0, next: 0 };
}

const LAMMAX_STEPS = 50;

/** 50 power-iteration steps (tolerance 0, so all run): 2n² flops each. */
const lammaxEntry: KernelEntryLike<SpdState> = {
  kernel: 'slammax',
  flops: (n) => 2 * n * n * LAMMAX_STEPS,
  prepare: spd,
  run: async (s) => {
    s.value = (await s.la.slammax(s.A, { maxIterations: LAMMAX_STEPS, tolerance: 0 })).value;
  },
  // For a symmetric PSD matrix, max_i A_ii <= λmax <= max_i Σ_j |A_ij| (Gershgorin).
  check: async (s) => {
    let lo = 0, hi = 0;
    for (let i = 0; i < s.n; i++) {
      let row = 0;
      for (let j = 0; j < s.n; j++) row += Math.abs(s.saved[i * s.n + j]);
      lo = Math.max(lo, s.saved[i * s.n + i]);
      hi = Math.max(hi, row);
    }
    if (!(s.value >= lo * (1 - 1e-4) && s.value <= hi * (1 + 1e-4))) {
      throw new Error(`bench: slammax n=${s.n} gives ${s.value}, outside [${lo}, ${hi}]`);
    }
  },
  release: (s) => s.A.free(),
};

/**
 * One OBS downdate (2n² flops) at the next index. The kernel skips rows already removed, so the
 * matrix is restored after every n/8 downdates: each timed run does at least 7/8 of the full work
 * (the best time may be up to 1/8 optimistic), and the restoring copy costs under 1% of a run.
 */
const downdateEntry: KernelEntryLike<SpdState> = {
  kernel: 'sdowndate',
  flops: (n) => 2 * n * n,
  prepare: async (la, n, rand) => {
    const s = await spd(la, n, rand);
    if ((await la.spotri(s.A)) !== 0) throw new Error('bench: spotri failed on an SPD input');
    s.saved = await la.read(s.A);
    return s;
  },
  run: async (s) => {
    if (s.next >= Math.max(1, s.n >> 3)) {
      s.la.write(s.A, s.saved);
      s.next = 0;
    }
    await s.la.sdowndate(s.A, s.next++);
  },
  // Row and column of every removed index are exactly zero, and the rest stays symmetric.
  check: async (s, rand) => {
    const n = s.n, p = s.next - 1, a = await s.la.read(s.A);
    const at = (i: number, j: number) => a[i * n + j];
    for (let t = 0; t < 8; t++) {
      const i = Math.floor(rand() * n);
      if (at(p, i) !== 0 || at(i, p) !== 0) throw new Error(`bench: sdowndate n=${n} left row/column ${p} nonzero`);
      const j = Math.floor(rand() * n);
      if (at(i, j) !== at(j, i)) throw new Error(`bench: sdowndate n=${n} broke symmetry at ${i},${j}`);
    }
  },
  release: (s) => s.A.free(),
};

interface TopkState {
  la: Linalg;
  n: number;
  x: Matrix<'float32'>;
  values: Float32Array;
  picked: Int32Array;
}

/** Top half of n² entries by magnitude: counted as n² "flops" (one comparison-ish per element). */
const topkEntry: KernelEntryLike<TopkState> = {
  kernel: 'stopk',
  flops: (n) => n * n,
  prepare: async (la, n, rand) => {
    const x = la.fromArray(randomValues(n * n, rand), n * n, 1, 'float32');
    return { la, n, x, values: await la.read(x), picked: new Int32Array(0) };
  },
  run: async (s) => {
    s.picked = await s.la.stopk(s.x, (s.n * s.n) >> 1);
  },
  // Every picked |x| is at least every unpicked |x|.
  check: async (s) => {
    const chosen = new Uint8Array(s.values.length);
    let minIn = Infinity, maxOut = -Infinity;
    for (const i of s.picked) chosen[i] = 1;
    for (let i = 0; i < s.values.length; i++) {
      const a = Math.abs(s.values[i]);
      if (chosen[i]) minIn = Math.min(minIn, a);
      else maxOut = Math.max(maxOut, a);
    }
    if (s.picked.length !== s.values.length >> 1 || minIn < maxOut) throw new Error(`bench: stopk n=${s.n} picked a wrong set`);
  },
  release: (s) => s.x.free(),
};

/** The bench entries of this file. */
export const SELECTION_KERNELS = [syrkEntry, lammaxEntry, topkEntry, downdateEntry];
