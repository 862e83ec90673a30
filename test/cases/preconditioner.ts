// The low-rank-plus-diagonal CG preconditioner (lowRankPreconditioner) and the host eigensolver
// it uses (symmetricEigen), against float64 arithmetic written here:
// - symmetricEigen: A·v = λ·v to 1e-12 of ‖A‖, orthonormal vectors, values sorted, odd sizes;
// - lowRankPreconditioner on H = D^{1/2}(σI + F Fᵀ)D^{1/2} (rank of F below the asked rank):
//   it finds F's rank and the top eigenvalues of the scaled H, μ is the mean of the rest, and
//   dinv ⊙ x − (x·V)·Wt is M⁻¹x for the M built from the exact eigenpairs;
// - solveOnSupportCG with it solves the same systems as with Jacobi, in fewer iterations on such
//   an H, and its `quadratic` is Σ_r (xHx − 2b·x) of what it returns.
import { type Case, check, expectClose, expectReject } from './harness.js';
import { Rng } from './random.js';

function randomSymmetric(rng: Rng, m: number): Float64Array {
  const a = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j <= i; j++) a[i * m + j] = a[j * m + i] = rng.normal();
  return a;
}

const eigenCase: Case = {
  name: 'symmetricEigen: A·v = λ·v, orthonormal, sorted (sizes 1, 2, 5, 17, 32)',
  deviceNeutral: true,
  async run({ lib }) {
    for (const [m, seed] of [[1, 1], [2, 2], [5, 3], [17, 4], [32, 5]]) {
      const rng = new Rng(seed), A = randomSymmetric(rng, m);
      const { values, vectors } = lib.symmetricEigen(A, m);
      let norm = 0;
      for (const x of A) norm = Math.max(norm, Math.abs(x));
      for (let k = 0; k < m; k++) {
        if (k > 0) check(values[k] <= values[k - 1], () => `m ${m}: values not decreasing at ${k}`);
        for (let i = 0; i < m; i++) {
          let av = 0;
          for (let j = 0; j < m; j++) av += A[i * m + j] * vectors[j * m + k];
          check(Math.abs(av - values[k] * vectors[i * m + k]) <= 1e-12 * m * norm, () => `m ${m}: (A v − λ v)[${i}] = ${av - values[k] * vectors[i * m + k]} for λ_${k}`);
        }
        for (let l = 0; l <= k; l++) {
          let d = 0;
          for (let i = 0; i < m; i++) d += vectors[i * m + k] * vectors[i * m + l];
          check(Math.abs(d - (k === l ? 1 : 0)) <= 1e-12 * m, () => `m ${m}: vᵀv [${k}, ${l}] = ${d}`);
        }
      }
    }
  },
};

/**
 * H = D^{1/2} Hs D^{1/2} with Hs = σT + F Fᵀ of unit diagonal (T the AR(1) Toeplitz 0.6^|i−j|,
 * F's rows of norm √(1 − σ)): r large eigenvalues over a bulk spread by T (0.25σ to 4σ), which
 * CG with Jacobi alone pays r extra iterations for. D log-normal.
 */
function lowRankPlusDiagonal(rng: Rng, n: number, r: number, sigma: number): { h: Float64Array; hs: Float64Array } {
  const F = rng.normals(n * r);
  for (let i = 0; i < n; i++) {
    const norm = Math.hypot(...F.slice(i * r, i * r + r));
    for (let k = 0; k < r; k++) F[i * r + k] *= Math.sqrt(1 - sigma) / norm;
  }
  const d = Array.from({ length: n }, () => Math.exp(rng.normal()));
  const hs = new Float64Array(n * n), h = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = sigma * 0.6 ** Math.abs(i - j);
    for (let k = 0; k < r; k++) s += F[i * r + k] * F[j * r + k];
    hs[i * n + j] = s;
    h[i * n + j] = s * Math.sqrt(d[i] * d[j]);
  }
  return { h, hs };
}

function preconditionerCase(n: number, r: number, seed: number): Case {
  const name = `lowRankPreconditioner float64 ${n}x${n}, rank ${r} + diagonal, seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ lib, la }) {
      const rng = new Rng(seed);
      const sigma = 0.05, { h, hs } = lowRankPlusDiagonal(rng, n, r, sigma);
      const H = la.fromArray(h, n, n, 'float64');
      const M = await lib.lowRankPreconditioner(la, H, { rank: r, powerIterations: 6, seed });
      try {
        const ref = lib.symmetricEigen(hs, n).values;
        check(M.rank === r, () => `${name}: rank ${M.rank}, want ${r}`);
        for (let k = 0; k < r; k++) expectClose(`${name}: eigenvalue ${k}`, [M.eigenvalues[k]], [ref[k]], 1e-6, ref[0]);
        const mu = (n - M.eigenvalues.reduce((a, b) => a + b, 0)) / (n - M.rank);
        expectClose(`${name}: mu`, [M.mu], [mu], 1e-12, 1);
        // M = D^{1/2}(μI + U diag(λ − μ) Uᵀ)D^{1/2} from the exact eigenpairs of Hs, inverted
        // through them: M⁻¹x = D^{-1/2}(y/μ + Σ_c (1/λ_c − 1/μ)(u_c·y) u_c), y = D^{-1/2}x.
        const { values, vectors } = lib.symmetricEigen(hs, n);
        const k = M.rank, dv = Array.from({ length: n }, (_, i) => h[i * n + i]);
        const muRef = (n - values.slice(0, k).reduce((a, b) => a + b, 0)) / (n - k);
        const x = rng.normals(n);
        // M⁻¹ x in float64 from the reference eigenpairs.
        const want = new Float64Array(n);
        const sx = x.map((v, i) => v / Math.sqrt(dv[i]));
        for (let i = 0; i < n; i++) want[i] = sx[i] / muRef;
        for (let c = 0; c < k; c++) {
          let dot = 0;
          for (let i = 0; i < n; i++) dot += vectors[i * n + c] * sx[i];
          const coef = (1 / values[c] - 1 / muRef) * dot;
          for (let i = 0; i < n; i++) want[i] += coef * vectors[i * n + c];
        }
        for (let i = 0; i < n; i++) want[i] /= Math.sqrt(dv[i]);
        const dinv = await la.read(M.dinv), V = await la.read(M.V!), Wt = await la.read(M.Wt!);
        const got = new Float64Array(n);
        for (let i = 0; i < n; i++) got[i] = dinv[i] * x[i];
        for (let c = 0; c < k; c++) {
          let y = 0;
          for (let j = 0; j < n; j++) y += x[j] * V[j * k + c];
          for (let i = 0; i < n; i++) got[i] -= y * Wt[c * n + i];
        }
        expectClose(`${name}: M⁻¹ x`, got, want, 1e-5, Math.max(...want.map(Math.abs)));

        // CG: the same solutions as Jacobi, in fewer iterations; quadratic as defined.
        const rows = 6, mask = new Uint8Array(rows * n).map((_, t) => (t % n === 0 || rng.uniform() < 0.6 ? 1 : 0));
        const b = rng.normals(rows * n);
        const solveWith = async (pre: unknown, tolerance = 1e-10, full = false) => {
          const X = la.matrix(rows, n, 'float64'), B = la.fromArray(b, rows, n, 'float64'), Mk = la.fromArray(full ? mask.map(() => 1) : mask, rows, n, 'uint8');
          try {
            const out = await lib.solveOnSupportCG(la, H, B, Mk, X, { tolerance, ...(pre ? { preconditioner: pre } : {}) });
            return { out, x: Float64Array.from(await la.read(X)) };
          } finally {
            X.free(); B.free(); Mk.free();
          }
        };
        const jac = await solveWith(null), low = await solveWith(M);
        // A preconditioner of another H is refused by name.
        const other = await lib.jacobiPreconditioner(la, la.fromArray([1, 0, 0, 1], 2, 2, 'float64'));
        try {
          await expectReject(() => lib.solveOnSupportCG(la, H, la.fromArray(b, rows, n, 'float64'), la.fromArray(mask, rows, n, 'uint8'), la.matrix(rows, n, 'float64'), { preconditioner: other }), /solveOnSupportCG: argument options.preconditioner .*built for this H/);
        } finally {
          other.free();
        }
        check(jac.out.converged && low.out.converged, () => `${name}: CG did not converge (${jac.out.worstResidual}, ${low.out.worstResidual})`);
        expectClose(`${name}: low-rank CG vs Jacobi CG`, low.x, jac.x, 1e-7, Math.max(...jac.x.map(Math.abs)));
        // The large eigenvalues are what the low-rank term removes: on full supports (where M⁻¹
        // is not restricted) CG needs fewer iterations to 1e-3.
        const [jacFull, lowFull] = [await solveWith(null, 1e-3, true), await solveWith(M, 1e-3, true)];
        check(lowFull.out.iterations < jacFull.out.iterations, () => `${name}: to 1e-3 low-rank CG took ${lowFull.out.iterations} iterations, Jacobi ${jacFull.out.iterations}`);
        let quad = 0;
        for (let row = 0; row < rows; row++) for (let i = 0; i < n; i++) {
          let hx = 0;
          for (let j = 0; j < n; j++) hx += h[i * n + j] * low.x[row * n + j];
          quad += low.x[row * n + i] * hx - 2 * b[row * n + i] * low.x[row * n + i] * mask[row * n + i];
        }
        expectClose(`${name}: quadratic`, [low.out.quadratic.end], [quad], 1e-9, Math.abs(quad));
      } finally {
        M.free();
      }
    },
  };
}

export function preconditionerCases(): Case[] {
  return [eigenCase, preconditionerCase(23, 2, 11), preconditionerCase(64, 5, 12), preconditionerCase(97, 3, 13)];
}
