// spotrf/dpotrf, spotri/dpotri, sinvchol/dinvchol against the float64 reference and against
// properties that use no backend at all: L Lᵀ = A, A A⁻¹ = I, Uᵀ U = A⁻¹, the triangles and
// diagonal signs, exact info for matrices that are not positive definite, untouched frames
// around strided views, a NaN-filled upper triangle that must never be read, and bad arguments.
import { type Case, type CaseContext, check, eps, type Matrix } from './harness.js';
import { type DT, Rng, expectThrow, matmul, maxAbs, norm1, place, spd, symmetrize, withTriangle } from './dense.js';

const SIZES = [1, 3, 17, 64, 65, 128, 129, 130, 200];
type Kernel = 'potrf' | 'potri' | 'invchol';

function run(la: CaseContext['la'], kernel: Kernel, dtype: DT, A: Matrix): number {
  const fn = (dtype === 'float32' ? 's' : 'd') + kernel;
  return (la as unknown as Record<string, (M: Matrix) => number>)[fn](A);
}

/** The reference's float64 inverse of the symmetric matrix with lower triangle `lower`. */
function refInverse(ref: CaseContext['ref'], lower: ArrayLike<number>, n: number): Float64Array {
  const X = ref.fromArray(lower, n, n, 'float64');
  check(ref.dpotri(X as never) === 0, () => 'reference dpotri failed');
  return X.toArray() as Float64Array;
}

function maxDiff(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  let err = 0, at = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= err)) [err, at] = [Number.isNaN(e) ? Infinity : e, i];
  }
  check(err <= tol, () => `${what}: max error ${err.toExponential(3)} > ${tol.toExponential(3)} at ${at} (got ${got[at]}, want ${want[at]})`);
}

/** Checks the triangle opposite to `keep` is exactly zero and the diagonal positive and finite. */
function checkTriangular(what: string, t: ArrayLike<number>, n: number, keep: 'lower' | 'upper'): void {
  for (let i = 0; i < n; i++) {
    check(t[i * n + i] > 0 && Number.isFinite(t[i * n + i]), () => `${what}: diagonal ${i} is ${t[i * n + i]}`);
    for (let j = 0; j < n; j++) {
      if (keep === 'lower' ? j > i : j < i) check(t[i * n + j] === 0, () => `${what}: (${i}, ${j}) = ${t[i * n + j]}, want 0`);
    }
  }
}

function factorCase(kernel: Kernel, n: number, dtype: DT, strided: boolean, seed: number, ill = false): Case {
  const name = `${dtype === 'float32' ? 's' : 'd'}${kernel} ${n}${strided ? ' strided' : ''}${ill ? ' ill-conditioned' : ''} seed ${seed}`;
  return {
    name,
    run({ la, ref }) {
      const rng = new Rng(seed);
      // Well conditioned: G Gᵀ + n I. Ill conditioned: rank n/4 plus a tiny shift (κ ~ 1e8).
      const full = ill ? spd(rng, n, Math.max(1, n >> 2), 1e-6) : spd(rng, n);
      // Only the lower triangle may be read: the strict upper one holds NaN.
      const P = place(la, rng, withTriangle(full, n, 'lower', NaN), n, n, dtype, strided);
      const A = symmetrize(P.M.toArray(), n); // the matrix as stored (rounded to dtype)
      const info = run(la, kernel, dtype, P.M);
      P.frameIntact(name);
      check(info === 0, () => `${name}: info ${info}, want 0`);
      const got = P.M.toArray();
      const u = eps(dtype), scaleA = maxAbs(A);
      const Ainv = refInverse(ref, A, n);
      const kappa = norm1(A, n) * norm1(Ainv, n);
      const R = ref.fromArray(A, n, n, 'float64');
      check((ref as never as Record<string, (M: Matrix) => number>)['d' + kernel](R) === 0, () => `${name}: reference failed`);
      const want = R.toArray();
      if (kernel === 'potrf') {
        checkTriangular(name, got, n, 'lower');
        // Backward error: |L Lᵀ - A| <= γ(n+1) |L||Lᵀ| <= γ(n+1) max A_ii.
        maxDiff(`${name} L Lᵀ - A`, matmul(got, n, n, false, got, n, n, true), A, 2 * (n + 2) * u * scaleA);
        maxDiff(`${name} vs reference`, got, want, 4 * (n + 2) * u * Math.sqrt(scaleA) * Math.sqrt(kappa));
      } else if (kernel === 'potri') {
        for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) check(got[i * n + j] === got[j * n + i], () => `${name}: not symmetric at (${i}, ${j})`);
        const I = new Float64Array(n * n);
        for (let i = 0; i < n; i++) I[i * n + i] = 1;
        maxDiff(`${name} A A⁻¹ - I`, matmul(A, n, n, false, got, n, n, false), I, 4 * (n + 2) * u * kappa);
        maxDiff(`${name} vs reference`, got, want, 4 * (n + 2) * u * kappa * maxAbs(want));
      } else {
        checkTriangular(name, got, n, 'upper');
        maxDiff(`${name} Uᵀ U - A⁻¹`, matmul(got, n, n, true, got, n, n, false), Ainv, 4 * (n + 2) * u * kappa * maxAbs(Ainv));
        // The definition SparseGPT uses: U = chol(A⁻¹, upper) = (lower Cholesky factor of A⁻¹)ᵀ.
        const C = ref.fromArray(Ainv, n, n, 'float64');
        check(ref.dpotrf(C as never) === 0, () => `${name}: reference dpotrf of A⁻¹ failed`);
        const cl = C.toArray(), def = new Float64Array(n * n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) def[i * n + j] = cl[j * n + i];
        const scaleU = Math.sqrt(maxAbs(Ainv));
        maxDiff(`${name} vs chol(A⁻¹)ᵀ`, got, def, 4 * (n + 2) * u * kappa * scaleU);
        maxDiff(`${name} vs reference`, got, want, 4 * (n + 2) * u * kappa * scaleU);
      }
    },
  };
}

/** A pivot made negative (or NaN / Inf) at column c must give the documented info. */
function notSpdCase(kernel: Kernel, n: number, c: number, bad: 'negative' | 'nan' | 'inf', dtype: DT, strided: boolean, seed: number): Case {
  const name = `${dtype === 'float32' ? 's' : 'd'}${kernel} ${n} not SPD (${bad} pivot at ${c})${strided ? ' strided' : ''}`;
  return {
    name,
    run({ la }) {
      const rng = new Rng(seed);
      const a = withTriangle(spd(rng, n), n, 'lower', NaN);
      a[c * n + c] = bad === 'nan' ? NaN : bad === 'inf' ? Infinity : -(a[c * n + c] + 10 * n);
      const P = place(la, rng, a, n, n, dtype, strided);
      const info = run(la, kernel, dtype, P.M);
      P.frameIntact(name);
      // potrf/potri fail at the first leading minor containing c; invchol factors from the last
      // row up and fails at the first trailing minor containing c, of order n - c.
      const want = kernel === 'invchol' ? n - c : c + 1;
      check(info === want, () => `${name}: info ${info}, want ${want}`);
    },
  };
}

export function choleskyCases(): Case[] {
  const cases: Case[] = [];
  let seed = 1000;
  for (const kernel of ['potrf', 'potri', 'invchol'] as Kernel[]) {
    for (const dtype of ['float32', 'float64'] as DT[]) {
      for (const n of SIZES) {
        for (let rep = 0; rep < 2; rep++) cases.push(factorCase(kernel, n, dtype, rep === 1, seed++));
      }
      if (dtype === 'float64') for (const n of [40, 150]) cases.push(factorCase(kernel, n, dtype, n > 100, seed++, true));
      for (const [n, c] of [[1, 0], [3, 1], [17, 16], [130, 0], [130, 64], [200, 129], [200, 150]]) {
        const bad = (['negative', 'nan', 'inf'] as const)[seed % 3];
        cases.push(notSpdCase(kernel, n, c, bad, dtype, (seed & 1) === 0, seed++));
      }
    }
  }
  cases.push({
    name: 'Cholesky family: 2x2 examples and the 0x0 matrix',
    run({ la }) {
      const A = la.fromArray([4, NaN, 2, 5], 2, 2, 'float64');
      check(la.dpotrf(A) === 0 && A.toArray().join() === '2,0,1,2', () => `dpotrf gave ${A.toArray().join()}`);
      const B = la.fromArray([4, 0, 2, 5], 2, 2, 'float64');
      check(la.dpotri(B) === 0, () => 'dpotri failed');
      const inv = [5 / 16, -2 / 16, -2 / 16, 4 / 16];
      check(B.toArray().every((v, i) => Math.abs(v - inv[i]) < 1e-15), () => `dpotri gave ${B.toArray().join()}`);
      const C = la.fromArray([4, 0, 2, 5], 2, 2);
      check(la.sinvchol(C) === 0 && C.get(1, 0) === 0 && C.get(0, 0) > 0, () => `sinvchol gave ${C.toArray().join()}`);
      const Z = la.matrix(0, 0);
      check(la.spotrf(Z) === 0 && la.spotri(Z) === 0 && la.sinvchol(Z) === 0, () => '0x0 should succeed');
    },
  });
  cases.push({
    name: 'Cholesky family rejects bad arguments with their names',
    run({ la }) {
      expectThrow(() => la.spotrf(la.matrix(2, 3)), /spotrf: argument A must be a square matrix; got 2x3 float32 matrix/);
      expectThrow(() => la.dpotri(la.matrix(3, 2, 'float64')), /dpotri: argument A must be a square matrix; got 3x2/);
      expectThrow(() => la.spotrf(la.matrix(2, 2, 'float64') as never), /spotrf: argument A must be a float32 matrix/);
      expectThrow(() => la.dinvchol(la.matrix(2, 2) as never), /dinvchol: argument A must be a float64 matrix/);
      expectThrow(() => la.sinvchol([1, 2, 3, 4] as never), /sinvchol: argument A must be a Matrix; got \[1, 2, 3, 4\]/);
    },
  });
  return cases;
}
