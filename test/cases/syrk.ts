// ssyrk / dsyrk against the float64 reference: odd sizes on both sides of the blocking
// (MC = 128 rows, KC = 256 deep, NC = 1024 columns), both orientations, strided views,
// alpha/beta (only C's lower triangle is read), and the 100,000-row precision requirement.
import { type Case, type CaseContext, check, eps, expectClose, type Matrix, expectReject } from './harness.js';
import { Rng } from './random.js';

type DT = 'float32' | 'float64';
/** [n, k]: C is n x n, the product is over k. */
const SIZES: [number, number][] = [[1, 1], [3, 3], [17, 17], [130, 130], [1, 17], [17, 1], [3, 130], [130, 3], [17, 300], [33, 600], [131, 257]];

function operand(la: CaseContext['la'], rng: Rng, rows: number, cols: number, dtype: DT, strided: boolean, values: ArrayLike<number>): Matrix {
  if (!strided) return la.fromArray(values, rows, cols, dtype);
  const big = la.fromArray(rng.normals((rows + 3) * (cols + 5)), rows + 3, cols + 5, dtype);
  const M = big.view(1, 2, rows, cols);
  la.write(M, values);
  return M;
}

function syrkCase(n: number, k: number, trans: boolean, dtype: DT, strided: boolean, seed: number): Case {
  const name = `${dtype === 'float32' ? 's' : 'd'}syrk n=${n} k=${k} ${trans ? 'XᵀX' : 'XXᵀ'}${strided ? ' strided' : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la, ref }) {
      const rng = new Rng(seed);
      const [xr, xc] = trans ? [k, n] : [n, k];
      const xv = rng.normals(xr * xc), cv = rng.normals(n * n);
      const alpha = 0.5 + rng.uniform(), beta = rng.uniform() < 0.5 ? 0 : rng.normal();
      const opts = { trans, alpha, beta };
      const X = operand(la, rng, xr, xc, dtype, strided, xv);
      const C = operand(la, rng, n, n, dtype, strided, cv);
      // The oracle sees the values as rounded to the dtype under test.
      const Xr = ref.fromArray(await la.read(X), xr, xc, 'float64'), Cr = ref.fromArray(await la.read(C), n, n, 'float64');
      if (dtype === 'float32') await la.ssyrk(X as never, C as never, opts);
      else await la.dsyrk(X as never, C as never, opts);
      await ref.dsyrk(Xr as never, Cr as never, opts);
      // Per element: γ(min(k, 256) + a few) · (|α| |X|ᵀ|X| + |β| |C|), lower-triangle-based like C.
      const Xa = ref.fromArray(Array.from(await ref.read(Xr), Math.abs), xr, xc, 'float64');
      const bound = ref.matrix(n, n, 'float64');
      const Ca = ref.fromArray(Array.from(cv, Math.abs), n, n, 'float64');
      await ref.dsyrk(Xa as never, bound as never, { trans, alpha: Math.abs(alpha) });
      const b = await ref.read(bound), ca = await ref.read(Ca);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i * n + j] += Math.abs(beta) * ca[Math.max(i, j) * n + Math.min(i, j)];
      const c = await la.read(C);
      expectClose(name, c, await ref.read(Cr), 4 * (Math.min(k, 256) + 4) * eps(dtype), b);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) check(c[i * n + j] === c[j * n + i], () => `${name}: C not symmetric at (${i}, ${j})`);
    },
  };
}

// ---- 100,000 rows in one call ----------------------------------------------------------------

const big = new Map<string, { x: Float32Array; c64: Float64Array }>();

/** 100000 x n data, N(mean, 1) rounded to float32, and its XᵀX summed in float64 (memoised). */
function bigData(n: number, mean: number): { x: Float32Array; c64: Float64Array } {
  const key = `${n}/${mean}`;
  let d = big.get(key);
  if (!d) {
    const m = 100_000, rng = new Rng(1000 + n + mean);
    const x = new Float32Array(m * n);
    for (let i = 0; i < x.length; i++) x[i] = mean + rng.normal();
    const c64 = new Float64Array(n * n);
    for (let p = 0; p < m; p++) {
      const o = p * n;
      for (let i = 0; i < n; i++) {
        const xi = x[o + i];
        for (let j = 0; j <= i; j++) c64[i * n + j] += xi * x[o + j];
      }
    }
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) c64[i * n + j] = c64[j * n + i];
    d = { x, c64 };
    big.set(key, d);
  }
  return d;
}

function bigCase(n: number, mean: number, dtype: DT): Case {
  const name = `${dtype === 'float32' ? 's' : 'd'}syrk 100000x${n} N(${mean},1) in one call: within 1e-5 of the float64 sum`;
  return {
    name,
    deviceNeutral: true,
    async run({ la }) {
      const { x, c64 } = bigData(n, mean);
      const X = la.fromArray(x, 100_000, n, dtype), C = la.matrix(n, n, dtype);
      if (dtype === 'float32') await la.ssyrk(X as never, C as never);
      else await la.dsyrk(X as never, C as never);
      const c = await la.read(C);
      let off = 0, diag = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) off = Math.max(off, Math.abs(c[i * n + j] - c64[i * n + j]) / Math.sqrt(c64[i * n + i] * c64[j * n + j]));
        diag = Math.max(diag, Math.abs(c[i * n + i] - c64[i * n + i]) / c64[i * n + i]);
      }
      // The requirement is 1e-5; the design (256-row slices, f64 across them) gives the final rounding only.
      const tol = dtype === 'float32' ? 4 * eps('float32') : 1e-12;
      check(off <= Math.min(1e-5, tol) && diag <= Math.min(1e-5, tol), () => `${name}: max |C - C64| / sqrt(C64_ii C64_jj) = ${off.toExponential(3)}, diag ${diag.toExponential(3)} > ${tol.toExponential(3)}`);
      X.free();
      C.free();
    },
  };
}

export function syrkCases(): Case[] {
  const cases: Case[] = [];
  let seed = 500;
  for (const dtype of ['float32', 'float64'] as DT[]) {
    for (const [n, k] of SIZES) {
      for (const trans of [true, false]) cases.push(syrkCase(n, k, trans, dtype, (seed & 1) === 0, seed++));
    }
    // A C wider than one NC = 1024 column panel.
    cases.push(syrkCase(1030, 5, true, dtype, false, seed++));
  }
  for (const n of [17, 64]) for (const mean of [0, 1]) cases.push(bigCase(n, mean, 'float32'));
  cases.push(bigCase(64, 1, 'float64'));
  cases.push({
    name: 'ssyrk defaults (XᵀX, alpha 1, beta 0 clears NaN), k = 0 leaves beta * C mirrored',
    deviceNeutral: true,
    async run({ la }) {
      const X = la.fromArray([1, 2, 3, 4, 5, 6], 3, 2), C = la.fromArray([NaN, NaN, NaN, NaN], 2, 2);
      await la.ssyrk(X, C);
      const c = (await la.read(C)).join();
      check(c === '35,44,44,56', () => `XᵀX gave ${c}`);
      const E = la.matrix(3, 3);
      await la.ssyrk(X, E, { trans: false });
      const e = (await la.read(E)).join();
      check(e === '5,11,17,11,25,39,17,39,61', () => `X Xᵀ gave ${e}`);
      const D = la.fromArray([1, 9, 2, 3], 2, 2);
      await la.ssyrk(la.matrix(0, 2), D, { beta: 2 });
      const d = (await la.read(D)).join();
      check(d === '2,4,4,6', () => `k = 0 gave ${d}`);
      const G = la.matrix(2, 2, 'float64');
      await la.syrk(la.fromArray([1, 2, 3, 4, 5, 6], 3, 2, 'float64'), G);
      const g = (await la.read(G)).join();
      check(g === '35,44,44,56', () => `syrk (float64) gave ${g}`);
    },
  });
  cases.push({
    name: 'ssyrk rejects bad arguments with their names',
    deviceNeutral: true,
    async run({ la }) {
      const X = la.matrix(5, 3);
      await expectReject(() => la.ssyrk(X, la.matrix(5, 5)), /ssyrk: argument C .*3x3.*5x5/);
      await expectReject(() => la.ssyrk(X, la.matrix(3, 3), { trans: false }), /ssyrk: argument C .*5x5/);
      await expectReject(() => la.ssyrk(X, la.matrix(3, 3, 'float64') as never), /ssyrk: argument C .*float32/);
      await expectReject(() => la.ssyrk(X, la.matrix(3, 3), { beta: Infinity }), /options\.beta .*finite/);
      await expectReject(() => la.ssyrk(X, la.matrix(3, 3), { trans: 1 as never }), /options\.trans .*boolean/);
      const S = la.matrix(3, 3);
      await expectReject(() => la.ssyrk(S, S), /argument C .*overlap/);
    },
  });
  return cases;
}
