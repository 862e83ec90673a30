// spotrf/dpotrf, spotri/dpotri, sinvchol/dinvchol against the float64 reference and against
// properties that use no backend at all: L Lᵀ = A, A A⁻¹ = I, Uᵀ U = A⁻¹, the triangles and
// diagonal signs, exact info for matrices that are not positive definite, untouched frames
// around strided views, a NaN-filled upper triangle that must never be read, and bad arguments.
import { type Case, type CaseContext, check, eps, type Matrix } from './harness.js';
import { type DT, Rng, expectReject, matmul, maxAbs, norm1, place, spd, symmetrize, withTriangle } from './dense.js';

const SIZES = [1, 3, 17, 64, 65, 128, 129, 130, 200];
type Kernel = 'potrf' | 'potri' | 'invchol';

/** Runs the s- or d- kernel (dtype-checked alias); resolves to its info. */
function run(la: CaseContext['la'], kernel: Kernel, dtype: DT, A: Matrix): Promise<number> {
  const fn = (dtype === 'float32' ? 's' : 'd') + kernel;
  return (la as unknown as Record<string, (M: Matrix) => Promise<number>>)[fn](A);
}

/** The reference's float64 inverse of the symmetric matrix with lower triangle `lower`. */
async function refInverse(ref: CaseContext['ref'], lower: ArrayLike<number>, n: number): Promise<Float64Array> {
  const X = ref.fromArray(lower, n, n, 'float64');
  const info = await ref.dpotri(X as never);
  check(info === 0, () => `reference dpotri failed (info ${info})`);
  return (await ref.read(X)) as Float64Array;
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
    deviceNeutral: true,
    async run({ la, ref }) {
      const rng = new Rng(seed);
      // Well conditioned: G Gᵀ + n I. Ill conditioned: rank n/4 plus a tiny shift (κ ~ 1e8).
      const full = ill ? spd(rng, n, Math.max(1, n >> 2), 1e-6) : spd(rng, n);
      // Only the lower triangle may be read: the strict upper one holds NaN.
      const P = await place(la, rng, withTriangle(full, n, 'lower', NaN), n, n, dtype, strided);
      const A = symmetrize(await la.read(P.M), n); // the matrix as stored (rounded to dtype)
      const info = await run(la, kernel, dtype, P.M);
      await P.frameIntact(name);
      check(info === 0, () => `${name}: info ${info}, want 0`);
      const got = await la.read(P.M);
      const u = eps(dtype), scaleA = maxAbs(A);
      const Ainv = await refInverse(ref, A, n);
      const kappa = norm1(A, n) * norm1(Ainv, n);
      const R = ref.fromArray(A, n, n, 'float64');
      const refInfo = await run(ref, kernel, 'float64', R);
      check(refInfo === 0, () => `${name}: reference failed (info ${refInfo})`);
      const want = await ref.read(R);
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
        check((await ref.dpotrf(C as never)) === 0, () => `${name}: reference dpotrf of A⁻¹ failed`);
        const cl = await ref.read(C), def = new Float64Array(n * n);
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
    deviceNeutral: true,
    async run({ la }) {
      const rng = new Rng(seed);
      const a = withTriangle(spd(rng, n), n, 'lower', NaN);
      a[c * n + c] = bad === 'nan' ? NaN : bad === 'inf' ? Infinity : -(a[c * n + c] + 10 * n);
      const P = await place(la, rng, a, n, n, dtype, strided);
      const info = await run(la, kernel, dtype, P.M);
      await P.frameIntact(name);
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
    name: 'dpotrf of a diagonal matrix is √ of every entry bit for bit, subnormals and the extremes included',
    deviceNeutral: true,
    async run({ la }) {
      // Off the diagonal everything is 0, so every correct float64 factor holds exactly the
      // correctly rounded √ of each entry (IEEE's sqrt): the test of a backend's own square root.
      const rng = new Rng(4242);
      const d = [Number.MIN_VALUE, 2 ** -1074 * 3, 2 ** -1023, 2 ** -1022, Number.MAX_VALUE, 1, 2, 4 - 2 ** -50, 1 + 2 ** -52, 0.5];
      while (d.length < 97) d.push((1 + rng.uniform()) * 2 ** Math.floor(rng.uniform() * 2098 - 1074));
      const n = d.length, a = new Array<number>(n * n).fill(0);
      for (let i = 0; i < n; i++) a[i * n + i] = d[i];
      const A = la.fromArray(a, n, n, 'float64');
      const info = await la.dpotrf(A), l = await la.read(A);
      check(info === 0, () => `info ${info}`);
      for (let i = 0; i < n; i++) check(Object.is(l[i * n + i], Math.sqrt(d[i])), () => `√${d[i]}: got ${l[i * n + i]}, want ${Math.sqrt(d[i])}`);
      check(l.every((v, k) => k % (n + 1) === 0 || Object.is(v, 0)), () => 'an entry off the diagonal is not +0');
    },
  });
  cases.push({
    name: 'Cholesky family: 2x2 examples and the 0x0 matrix',
    deviceNeutral: true,
    async run({ la }) {
      const A = la.fromArray([4, NaN, 2, 5], 2, 2, 'float64');
      const infoA = await la.dpotrf(A), a = (await la.read(A)).join();
      check(infoA === 0 && a === '2,0,1,2', () => `dpotrf gave info ${infoA}, ${a}`);
      const B = la.fromArray([4, 0, 2, 5], 2, 2, 'float64');
      check((await la.dpotri(B)) === 0, () => 'dpotri failed');
      const inv = [5 / 16, -2 / 16, -2 / 16, 4 / 16], b = await la.read(B);
      check(b.every((v, i) => Math.abs(v - inv[i]) < 1e-15), () => `dpotri gave ${b.join()}`);
      const C = la.fromArray([4, 0, 2, 5], 2, 2);
      const infoC = await la.sinvchol(C), c = await la.read(C);
      check(infoC === 0 && c[2] === 0 && c[0] > 0, () => `sinvchol gave info ${infoC}, ${c.join()}`);
      // The dtype-generic entries dispatch on the dtype.
      const G = la.fromArray([4, NaN, 2, 5], 2, 2);
      const infoG = await la.potrf(G), g = (await la.read(G)).join();
      check(infoG === 0 && g === '2,0,1,2', () => `potrf (float32) gave info ${infoG}, ${g}`);
      const N = la.fromArray([1, 0, 2, 1], 2, 2, 'float64');
      check((await la.potri(N)) === 2 && (await la.invchol(la.fromArray([1, 0, 2, 1], 2, 2))) === 2, () => 'indefinite 2x2 should give info 2');
      const Z = la.matrix(0, 0);
      const zeros = [await la.spotrf(Z), await la.spotri(Z), await la.sinvchol(Z)];
      check(zeros.every((i) => i === 0), () => `0x0 should succeed; got infos ${zeros.join()}`);
    },
  });
  cases.push({
    name: 'Cholesky family rejects bad arguments with their names',
    deviceNeutral: true,
    async run({ la }) {
      await expectReject(() => la.spotrf(la.matrix(2, 3)), /spotrf: argument A must be a square matrix; got 2x3 float32 matrix/);
      await expectReject(() => la.dpotri(la.matrix(3, 2, 'float64')), /dpotri: argument A must be a square matrix; got 3x2/);
      await expectReject(() => la.spotrf(la.matrix(2, 2, 'float64') as never), /spotrf: argument A must be a float32 matrix/);
      await expectReject(() => la.dinvchol(la.matrix(2, 2) as never), /dinvchol: argument A must be a float64 matrix/);
      await expectReject(() => la.sinvchol([1, 2, 3, 4] as never), /sinvchol: argument A must be a Matrix; got \[1, 2, 3, 4\]/);
      await expectReject(() => la.potrf(la.matrix(2, 2, 'int32') as never), /potrf: argument A must be a float32 or float64 matrix/);
    },
  });
  return cases;
}
