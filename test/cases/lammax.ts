// slammax / dlammax against exact largest eigenvalues: Q diag(λ) Qᵀ with a Householder-built
// orthogonal Q (λ_max known by construction), and AᵀA of random A with λ_max from a float64
// cyclic Jacobi eigenvalue solver written here, independent of the library.
import { type Case, type CaseContext, check, type Matrix, expectReject } from './harness.js';
import { Rng } from './random.js';

type DT = 'float32' | 'float64';

/** Q diag(lambda) Qᵀ, Q the product of three random Householder reflections, row-major. */
export function knownSpectrum(rng: Rng, lambda: number[]): number[] {
  const n = lambda.length;
  const M = Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? lambda[i / (n + 1)] : 0));
  for (let r = 0; r < 3; r++) {
    const v = rng.normals(n);
    const nv = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    for (let i = 0; i < n; i++) v[i] /= nv;
    // M ← P M P with P = I − 2 v vᵀ (symmetric, orthogonal).
    const Mv = Array.from({ length: n }, (_, i) => v.reduce((s, vj, j) => s + M[i * n + j] * vj, 0));
    const vMv = v.reduce((s, vi, i) => s + vi * Mv[i], 0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) M[i * n + j] += -2 * v[i] * Mv[j] - 2 * Mv[i] * v[j] + 4 * vMv * v[i] * v[j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) M[i * n + j] = M[j * n + i];
  return M;
}

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (float64). */
export function jacobiEigenvalues(S: ArrayLike<number>, n: number): number[] {
  const a = Array.from(S);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        total += a[i * n + j] ** 2;
        if (i !== j) off += a[i * n + j] ** 2;
      }
    }
    if (off <= 1e-30 * total) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i]);
}

function run(la: CaseContext['la'], A: Matrix, dtype: DT, opts?: object) {
  return dtype === 'float32' ? la.slammax(A as never, opts) : la.dlammax(A as never, opts);
}

function operand(la: CaseContext['la'], rng: Rng, n: number, dtype: DT, strided: boolean, values: number[]): Matrix {
  if (!strided) return la.fromArray(values, n, n, dtype);
  const big = la.fromArray(rng.normals((n + 2) * (n + 3)), n + 2, n + 3, dtype);
  const M = big.view(2, 1, n, n);
  la.write(M, values);
  return M;
}

function spectrumCase(n: number, ratio: number, dtype: DT, strided: boolean, seed: number): Case {
  const name = `${dtype === 'float32' ? 's' : 'd'}lammax Q diag(λ) Qᵀ n=${n} λ2/λ1=${ratio}${strided ? ' strided' : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la }) {
      const rng = new Rng(seed);
      const top = 1 + 9 * rng.uniform();
      const lambda = Array.from({ length: n }, (_, i) => (i === 0 ? top : i === 1 ? ratio * top : ratio * top * rng.uniform()));
      const A = operand(la, rng, n, dtype, strided, knownSpectrum(rng, lambda));
      const tolerance = dtype === 'float32' ? 1e-6 : 1e-12;
      const r = await run(la, A, dtype, { tolerance, maxIterations: 20000, seed });
      // Stopping on a change of tol·λ leaves an error of about tol·λ·r²/(1 − r²).
      const allow = dtype === 'float32' ? 2e-5 : 100 * tolerance / (1 - ratio * ratio);
      check(r.converged, () => `${name}: not converged after ${r.iterations} (value ${r.value})`);
      check(Math.abs(r.value - top) <= allow * top, () => `${name}: λ = ${r.value}, want ${top} (rel ${(Math.abs(r.value - top) / top).toExponential(3)} > ${allow.toExponential(3)})`);
      check(r.iterations >= (n > 1 ? 2 : 1) && r.iterations <= 20000, () => `${name}: iterations ${r.iterations}`);
    },
  };
}

function gramCase(rows: number, n: number, dtype: DT, seed: number): Case {
  const name = `${dtype === 'float32' ? 's' : 'd'}lammax AᵀA of random ${rows}x${n} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la }) {
      const rng = new Rng(seed);
      const B = rng.normals(rows * n);
      const G = new Array<number>(n * n).fill(0);
      for (let p = 0; p < rows; p++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) G[i * n + j] += B[p * n + i] * B[p * n + j];
      const want = Math.max(...jacobiEigenvalues(G, n));
      const A = la.fromArray(G, n, n, dtype);
      const r = await run(la, A, dtype, { tolerance: dtype === 'float32' ? 1e-7 : 1e-13, maxIterations: 100000, seed: seed * 7 });
      const allow = dtype === 'float32' ? 2e-5 : 1e-9;
      if (dtype === 'float64') check(r.converged, () => `${name}: not converged after ${r.iterations}`);
      check(Math.abs(r.value - want) <= allow * want, () => `${name}: λ = ${r.value}, want ${want} (rel ${(Math.abs(r.value - want) / want).toExponential(3)})`);
    },
  };
}

export function lammaxCases(): Case[] {
  const cases: Case[] = [];
  let seed = 900;
  for (const dtype of ['float32', 'float64'] as DT[]) {
    for (const n of [1, 3, 17, 130]) {
      for (const ratio of [0.5, 0.9]) cases.push(spectrumCase(n, ratio, dtype, (seed & 1) === 0, seed++));
    }
    for (const [rows, n] of [[40, 17], [5, 17], [200, 130], [3, 3]]) cases.push(gramCase(rows, n, dtype, seed++));
  }
  cases.push({
    name: 'slammax: zero matrix, one iteration, same seed same answer, 2x2 exact',
    deviceNeutral: true,
    async run({ la }) {
      const Z = la.matrix(4, 4);
      const z = await la.slammax(Z);
      check(z.value === 0 && z.converged, () => `zero matrix gave ${JSON.stringify(z)}`);
      const A = la.fromArray([2, 1, 1, 2], 2, 2);
      const one = await la.slammax(A, { maxIterations: 1 });
      check(one.iterations === 1 && !one.converged, () => `maxIterations 1 gave ${JSON.stringify(one)}`);
      const a = await la.dlammax(la.fromArray([2, 1, 1, 2], 2, 2, 'float64'), { seed: 3, tolerance: 1e-14 });
      const b = await la.dlammax(la.fromArray([2, 1, 1, 2], 2, 2, 'float64'), { seed: 3, tolerance: 1e-14 });
      check(a.value === b.value && a.iterations === b.iterations, () => `not deterministic: ${JSON.stringify([a, b])}`);
      check(Math.abs(a.value - 3) < 1e-12, () => `λmax([[2,1],[1,2]]) = ${a.value}`);
      const g = await la.lammax(la.fromArray([2, 1, 1, 2], 2, 2, 'float64'), { seed: 3, tolerance: 1e-14 });
      check(g.value === a.value && g.iterations === a.iterations, () => `lammax (float64) ${JSON.stringify(g)} differs from dlammax ${JSON.stringify(a)}`);
      const e = await la.slammax(la.matrix(0, 0));
      check(e.value === 0 && e.converged, () => `0x0 gave ${JSON.stringify(e)}`);
    },
  });
  cases.push({
    name: 'slammax rejects bad arguments with their names',
    deviceNeutral: true,
    async run({ la }) {
      const A = la.matrix(3, 3);
      await expectReject(() => la.slammax(la.matrix(3, 2)), /slammax: argument A .*square.*3x2/);
      await expectReject(() => la.slammax(A, { maxIterations: 0 }), /options\.maxIterations .*\[1, /);
      await expectReject(() => la.slammax(A, { tolerance: NaN }), /options\.tolerance .*NaN/);
      await expectReject(() => la.slammax(A, { tolerance: -1 }), /options\.tolerance .*>= 0.*-1/);
      await expectReject(() => la.slammax(A, { seed: 1.5 }), /options\.seed .*integer.*1\.5/);
      await expectReject(() => la.dlammax(A as never), /dlammax: argument A .*float64/);
    },
  });
  return cases;
}
