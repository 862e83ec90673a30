// The dense-output target of whole-model pruning, against straightforward float64 references on
// odd sizes and seeds:
// - CrossAccumulator: C = Σ X_pᵀ X_d over batches of either dtype; bad batches refused, C unchanged;
// - denseTarget: W̃ = W (C + λI)ᵀ (H + λI)⁻¹; W̃ = W when C = H; it minimises
//   ‖X_d wᵀ − X_p ŵᵀ‖² + λ‖w − ŵ‖² (the gradient there is zero); bad arguments named.
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import type { Linalg } from '../../src/linalg/linalg.js';
import { CrossAccumulator } from '../../src/pruning/cross-accumulator.js';
import { HessianAccumulator } from '../../src/pruning/accumulator.js';
import { denseTarget } from '../../src/pruning/target.js';
import { Rng } from '../cases/random.js';

const dist = new URL('../../dist/', import.meta.url);
let la: Linalg;
beforeAll(async () => {
  la = await init({ backend: 'wasm-simd', wasmPaths: dist });
});

/** Row-major a (m x k)ᵀ b (m x n) in float64. */
function atb(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(k * n);
  for (let r = 0; r < m; r++) for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) c[i * n + j] += a[r * k + i] * b[r * n + j];
  return c;
}

/** Solves A x = b for SPD A (n x n) by Gaussian elimination in float64 (the reference). */
function solve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const M = Float64Array.from(A), x = Float64Array.from(b);
  for (let k = 0; k < n; k++) {
    for (let i = k + 1; i < n; i++) {
      const f = M[i * n + k] / M[k * n + k];
      for (let j = k; j < n; j++) M[i * n + j] -= f * M[k * n + j];
      x[i] -= f * x[k];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let j = i + 1; j < n; j++) s -= M[i * n + j] * x[j];
    x[i] = s / M[i * n + i];
  }
  return x;
}

/** Correlated inputs: X_d, and X_p = X_d plus a perturbation (what upstream pruning does). */
function inputs(rng: Rng, T: number, n: number) {
  const Xd = new Float64Array(T * n), Xp = new Float64Array(T * n);
  for (let t = 0; t < T; t++) {
    let e = 0;
    for (let j = 0; j < n; j++) {
      e = 0.5 * e + rng.normal();
      Xd[t * n + j] = e;
      Xp[t * n + j] = e + 0.3 * rng.normal();
    }
  }
  return { Xd, Xp };
}

describe('CrossAccumulator', () => {
  for (const [T, n, dtype, seed] of [[37, 5, 'float64', 1], [129, 17, 'float32', 2], [64, 33, 'float32', 3]] as const) {
    it(`C = Σ X_pᵀ X_d over batches: ${T} rows x ${n}, ${dtype}, seed ${seed}`, async () => {
      const rng = new Rng(seed), { Xd, Xp } = inputs(rng, T, n);
      const acc = new CrossAccumulator(la, n);
      try {
        const cut = Math.floor(T / 3);
        for (const [r0, r1] of [[0, cut], [cut, T]]) {
          const p = la.fromArray(Xp.subarray(r0 * n, r1 * n), r1 - r0, n, dtype), d = la.fromArray(Xd.subarray(r0 * n, r1 * n), r1 - r0, n, dtype);
          await acc.addPair(p, d);
          p.free();
          d.free();
        }
        expect(acc.samples).toBe(T);
        const want = atb(Xp, Xd, T, n, n);
        const C = await acc.cross();
        const got = await la.read(C);
        C.free();
        const scale = Math.max(...want.map(Math.abs));
        const tol = dtype === 'float64' ? 1e-12 : 2e-6;
        for (let k = 0; k < want.length; k++) expect(Math.abs(got[k] - want[k]), `entry ${k}`).toBeLessThan(tol * scale);
        // Not symmetric in general: the test would not see a transposed product otherwise.
        expect(Math.abs(want[1] - want[n])).toBeGreaterThan(1e-3 * scale);
      } finally {
        acc.free();
      }
    });
  }

  it('bad batches are refused naming the argument, and C is left as it was', async () => {
    const acc = new CrossAccumulator(la, 3);
    const a = la.fromArray([1, 2, 3, 4, 5, 6], 2, 3), b = la.fromArray([1, 0, 0, 0, 1, 0], 2, 3);
    const nan = la.fromArray([1, NaN, 3], 1, 3), wide = la.fromArray([1, 2, 3, 4], 1, 4), one = la.fromArray([1, 2, 3], 1, 3);
    try {
      await acc.addPair(a, b);
      const before = await la.read(await acc.cross());
      await expect(acc.addPair(nan, one)).rejects.toThrow(/CrossAccumulator\.addPair: argument Xp\[0, 1\] must be a finite number/);
      await expect(acc.addPair(one, nan)).rejects.toThrow(/argument Xd\[0, 1\]/);
      await expect(acc.addPair(wide, wide)).rejects.toThrow(/argument Xp must be 3 columns/);
      await expect(acc.addPair(a, one)).rejects.toThrow(/argument Xd must be 2 rows of float32/);
      expect(await la.read(await acc.cross())).toEqual(before);
      acc.free();
      await expect(acc.addPair(a, b)).rejects.toThrow(/freed accumulator/);
    } finally {
      for (const M of [a, b, nan, wide, one]) M.free();
      acc.free();
    }
  });
});

describe('denseTarget', () => {
  for (const [rows, n, T, damp, dtype, seed] of [[3, 5, 40, 0.01, 'float64', 4], [7, 19, 90, 0.01, 'float32', 5], [11, 32, 200, 0.1, 'float32', 6]] as const) {
    it(`W̃ = W (C + λI)ᵀ (H + λI)⁻¹ against float64: ${rows} x ${n}, ${T} samples, damp ${damp}, ${dtype}`, async () => {
      const rng = new Rng(seed), { Xd, Xp } = inputs(rng, T, n), w = rng.normals(rows * n);
      const H = atb(Xp, Xp, T, n, n), C = atb(Xp, Xd, T, n, n);
      let mean = 0;
      for (let j = 0; j < n; j++) mean += H[j * n + j] / n;
      const lambda = damp * mean, Hl = Float64Array.from(H);
      for (let j = 0; j < n; j++) Hl[j * n + j] += lambda;
      const s = la.scope();
      try {
        const Wm = s.track(la.fromArray(w, rows, n, dtype)), Hm = s.track(la.fromArray(H, n, n, 'float64')), Cm = s.track(la.fromArray(C, n, n, 'float64'));
        const out = s.track(await denseTarget(la, Wm, Hm, Cm, damp));
        expect(out.dtype).toBe(dtype);
        const got = await la.read(out);
        const wq = dtype === 'float32' ? Float32Array.from(w) : Float64Array.from(w); // W as the backend holds it
        let worst = 0, size = 0;
        for (let r = 0; r < rows; r++) {
          // (H + λI) w̃ = (C + λI) w: the normal equations of ‖X_d w − X_p ŵ‖² + λ‖w − ŵ‖².
          const rhs = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            let v = lambda * wq[r * n + i];
            for (let j = 0; j < n; j++) v += C[i * n + j] * wq[r * n + j];
            rhs[i] = v;
          }
          const want = solve(Hl, rhs, n);
          for (let i = 0; i < n; i++) {
            worst = Math.max(worst, Math.abs(got[r * n + i] - want[i]));
            size = Math.max(size, Math.abs(want[i]));
          }
        }
        expect(worst / size).toBeLessThan(dtype === 'float64' ? 1e-11 : 2e-6);
        // With options.overwrite (H and C as scratch) the same values; without it H and C are untouched.
        expect(await la.read(Hm)).toEqual(Float64Array.from(H));
        expect(await la.read(Cm)).toEqual(Float64Array.from(C));
        const over = s.track(await denseTarget(la, Wm, s.track(await la.copy(Hm)), s.track(await la.copy(Cm)), damp, { overwrite: true }));
        expect(await la.read(over)).toEqual(got);
        // With C = H (nothing upstream changed) the target is W itself.
        const same = s.track(await denseTarget(la, Wm, Hm, Hm, damp));
        const back = await la.read(same);
        for (let k = 0; k < back.length; k++) expect(Math.abs(back[k] - wq[k])).toBeLessThan((dtype === 'float64' ? 1e-12 : 1e-6) * (1 + Math.abs(wq[k])));
      } finally {
        s.free();
      }
    });
  }

  it('from accumulators of real batches; a dead input keeps its weight; bad arguments are named', async () => {
    const rng = new Rng(9), n = 6, T = 50, { Xd, Xp } = inputs(rng, T, n);
    for (let t = 0; t < T; t++) Xp[t * n + 2] = 0; // input 2 never seen in the pruned model
    const s = la.scope();
    const acc = new HessianAccumulator(la, n), cross = new CrossAccumulator(la, n);
    try {
      const p = s.track(la.fromArray(Xp, T, n)), d = s.track(la.fromArray(Xd, T, n));
      await acc.addBatch(p);
      await cross.addPair(p, d);
      const H = s.track(await acc.hessian('float64')), C = s.track(await cross.cross());
      const W = s.track(la.fromArray(rng.normals(2 * n), 2, n));
      const w = await la.read(W);
      const out = await la.read(s.track(await denseTarget(la, W, H, C, 0.01)));
      expect(out[2]).toBeCloseTo(w[2], 6);
      expect(out[n + 2]).toBeCloseTo(w[n + 2], 6);
      expect(Math.abs(out[0] - w[0])).toBeGreaterThan(1e-3); // the others do move
      await expect(denseTarget(la, W, H, C, 0)).rejects.toThrow(/denseTarget: argument damp must be a positive number; got 0/);
      await expect(denseTarget(la, W, s.track(await acc.hessian('float32')) as never, C, 0.01)).rejects.toThrow(/argument H must be a float64 matrix/);
      await expect(denseTarget(la, s.track(la.fromArray([1, 2], 1, 2)), H, C, 0.01)).rejects.toThrow(/argument H must be 2 x 2/);
      const zero = s.track(la.matrix(n, n, 'float64'));
      expect(await la.read(s.track(await denseTarget(la, W, zero, zero, 0.01)))).toEqual(w); // nothing seen: W
    } finally {
      s.free();
      acc.free();
      cross.free();
    }
  });
});
