// strsm/dtrsm and strsv/dtrsv: every side x uplo x transpose, unit and non-unit diagonal, sizes
// across the blocking (64), strided views, against the float64 reference and against the
// residual op(A) X - alpha B computed here without any backend. The triangle of A that must not
// be read holds NaN, and so does the diagonal when it is taken as unit.
import { type Case, check, eps, type Matrix } from './harness.js';
import { type DT, Rng, expectReject, matmul, maxAbs, place } from './dense.js';

const SIZES: [number, number][] = [[1, 1], [3, 5], [17, 4], [64, 9], [65, 17], [129, 3], [130, 70], [200, 33]];

/** A well-conditioned triangle: off-diagonal N(0,1)/n, diagonal ±(1..2); NaN elsewhere. */
function triangle(rng: Rng, n: number, uplo: 'lower' | 'upper', unit: boolean): { stored: Float64Array; full: Float64Array } {
  const stored = new Float64Array(n * n), full = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const inside = uplo === 'lower' ? j < i : j > i;
      if (i === j) {
        const d = (rng.uniform() < 0.5 ? -1 : 1) * (1 + rng.uniform());
        stored[i * n + j] = unit ? NaN : d;
        full[i * n + j] = unit ? 1 : d;
      } else if (inside) {
        stored[i * n + j] = full[i * n + j] = rng.normal() / n;
      } else {
        stored[i * n + j] = NaN;
      }
    }
  }
  return { stored, full };
}

function maxErr(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>): { err: number; at: number } {
  let err = 0, at = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (scale[i] || 1);
    if (!(e <= err)) [err, at] = [Number.isNaN(e) ? Infinity : e, i];
  }
  return { err, at };
}

/** Checks |op(A) X - alpha B| (or |X op(A) - alpha B|) <= tol (|op(A)| |X| + |alpha B|) elementwise. */
function checkResidual(what: string, full: Float64Array, k: number, transA: boolean, left: boolean, x: ArrayLike<number>, rows: number, cols: number, rhs: Float64Array, tol: number): void {
  const absA = full.map(Math.abs), absX = Array.from(x, Math.abs);
  const prod = left ? matmul(full, k, k, transA, x, rows, cols, false) : matmul(x, rows, cols, false, full, k, k, transA);
  const bound = left ? matmul(absA, k, k, transA, absX, rows, cols, false) : matmul(absX, rows, cols, false, absA, k, k, transA);
  const scale = bound.map((b, i) => b + Math.abs(rhs[i]));
  const { err, at } = maxErr(prod, rhs, scale);
  check(err <= tol, () => `${what}: residual ${err.toExponential(3)} > ${tol.toExponential(3)} at ${at}`);
}

function trsmCase(k: number, other: number, side: 'left' | 'right', uplo: 'lower' | 'upper', transA: boolean, unit: boolean, dtype: DT, strided: boolean, seed: number): Case {
  const p = dtype === 'float32' ? 's' : 'd';
  const name = `${p}trsm k=${k} ${side} ${uplo} ${transA ? 'T' : 'N'}${unit ? ' unit' : ''}${strided ? ' strided' : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la, ref }) {
      const rng = new Rng(seed);
      const { stored, full: full0 } = triangle(rng, k, uplo, unit);
      const [rows, cols] = side === 'left' ? [k, other] : [other, k];
      const alpha = rng.uniform() < 0.3 ? 1 : 0.5 + rng.uniform();
      const PA = await place(la, rng, stored, k, k, dtype, strided);
      const PB = await place(la, rng, rng.normals(rows * cols), rows, cols, dtype, !strided || k % 2 === 1);
      const a = await la.read(PA.M), b = Float64Array.from(await la.read(PB.M));
      const full = full0.map((v, i) => (Number.isNaN(a[i]) ? v : a[i])); // values as stored in dtype
      const opts = { side, uplo, transA, unitDiagonal: unit, alpha };
      await (la as unknown as Record<string, (A: Matrix, B: Matrix, o: object) => Promise<void>>)[p + 'trsm'](PA.M, PB.M, opts);
      await PA.frameIntact(name + ' A');
      await PB.frameIntact(name + ' B');
      const x = await la.read(PB.M);
      const Ar = ref.fromArray(a, k, k, 'float64'), Br = ref.fromArray(b, rows, cols, 'float64');
      await ref.dtrsm(Ar as never, Br as never, opts);
      const want = await ref.read(Br);
      const u = eps(dtype);
      // Forward error against the float64 solve (op(A) is well conditioned by construction).
      const { err, at } = maxErr(x, want, new Float64Array(x.length).fill(maxAbs(want)));
      check(err <= 8 * (k + 2) * u, () => `${name}: error ${err.toExponential(3)} vs reference at ${at} (got ${x[at]}, want ${want[at]})`);
      checkResidual(name, full, k, transA, side === 'left', x, rows, cols, b.map((v) => alpha * v), 4 * (k + 2) * u);
    },
  };
}

function trsvCase(n: number, uplo: 'lower' | 'upper', trans: boolean, unit: boolean, row: boolean, dtype: DT, strided: boolean, seed: number): Case {
  const p = dtype === 'float32' ? 's' : 'd';
  const name = `${p}trsv n=${n} ${uplo} ${trans ? 'T' : 'N'}${unit ? ' unit' : ''} ${row ? '1xn' : 'nx1'}${strided ? ' strided' : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la, ref }) {
      const rng = new Rng(seed);
      const { stored, full: full0 } = triangle(rng, n, uplo, unit);
      const PA = await place(la, rng, stored, n, n, dtype, strided);
      const [xr, xc] = row ? [1, n] : [n, 1];
      const Px = await place(la, rng, rng.normals(n), xr, xc, dtype, strided);
      const a = await la.read(PA.M), b = Float64Array.from(await la.read(Px.M));
      const full = full0.map((v, i) => (Number.isNaN(a[i]) ? v : a[i]));
      const opts = { uplo, trans, unitDiagonal: unit };
      await (la as unknown as Record<string, (A: Matrix, x: Matrix, o: object) => Promise<void>>)[p + 'trsv'](PA.M, Px.M, opts);
      await PA.frameIntact(name + ' A');
      await Px.frameIntact(name + ' x');
      const x = await la.read(Px.M);
      const Ar = ref.fromArray(a, n, n, 'float64'), xref = ref.fromArray(b, xr, xc, 'float64');
      await ref.dtrsv(Ar as never, xref as never, opts);
      const want = await ref.read(xref), u = eps(dtype);
      const { err, at } = maxErr(x, want, new Float64Array(n).fill(maxAbs(want)));
      check(err <= 8 * (n + 2) * u, () => `${name}: error ${err.toExponential(3)} vs reference at ${at} (got ${x[at]}, want ${want[at]})`);
      checkResidual(name, full, n, trans, true, x, n, 1, b, 4 * (n + 2) * u);
    },
  };
}

export function trsmCases(): Case[] {
  const cases: Case[] = [];
  let seed = 5000;
  for (const dtype of ['float32', 'float64'] as DT[]) {
    for (const [k, other] of SIZES) {
      for (const side of ['left', 'right'] as const) {
        for (const uplo of ['lower', 'upper'] as const) {
          for (const transA of [false, true]) cases.push(trsmCase(k, other, side, uplo, transA, seed % 3 === 0, dtype, (seed & 1) === 0, seed++));
        }
      }
    }
    for (const n of [1, 3, 17, 64, 65, 130, 200]) {
      for (const uplo of ['lower', 'upper'] as const) {
        for (const trans of [false, true]) cases.push(trsvCase(n, uplo, trans, seed % 3 === 0, seed % 4 < 2, dtype, (seed & 1) === 0, seed++));
      }
    }
  }
  cases.push({
    name: 'strsm / strsv small examples',
    deviceNeutral: true,
    async run({ la }) {
      const L = la.fromArray([2, 0, 1, 4], 2, 2), B = la.fromArray([2, 4, 9, 10], 2, 2);
      await la.strsm(L, B);
      const b = (await la.read(B)).join();
      check(b === '1,2,2,2', () => `strsm gave ${b}`);
      const U = la.fromArray([2, 1, 0, 4], 2, 2), x = la.fromArray([4, 8], 2, 1);
      await la.strsv(U, x, { uplo: 'upper' });
      const xs = (await la.read(x)).join();
      check(xs === '1,2', () => `strsv gave ${xs}`);
      const Z = la.fromArray([1, 2], 1, 2);
      await la.strsm(L, Z, { side: 'right', alpha: 0 });
      const z = (await la.read(Z)).join();
      check(z === '0,0', () => `alpha = 0 gave ${z}`);
      // The dtype-generic entries dispatch on the dtype.
      const B64 = la.fromArray([2, 4, 9, 10], 2, 2, 'float64'), x64 = la.fromArray([4, 8], 1, 2, 'float64');
      await la.trsm(la.fromArray([2, 0, 1, 4], 2, 2, 'float64'), B64);
      await la.trsv(la.fromArray([2, 1, 0, 4], 2, 2, 'float64'), x64, { uplo: 'upper' });
      const g = `${(await la.read(B64)).join()} / ${(await la.read(x64)).join()}`;
      check(g === '1,2,2,2 / 1,2', () => `trsm / trsv (float64) gave ${g}`);
    },
  });
  cases.push({
    name: 'strsm / dtrsv reject bad arguments with their names',
    deviceNeutral: true,
    async run({ la }) {
      const A = la.matrix(3, 3), B = la.matrix(3, 2);
      await expectReject(() => la.strsm(A, B, { side: 'middle' as never }), /strsm: argument options\.side must be 'left' or 'right'; got "middle"/);
      await expectReject(() => la.strsm(A, B, { uplo: 1 as never }), /strsm: argument options\.uplo must be 'lower' or 'upper'; got 1/);
      await expectReject(() => la.strsm(A, B, { side: 'right' }), /strsm: argument B must be 3 columns .*got 3x2 float32 matrix/);
      await expectReject(() => la.strsm(la.matrix(3, 2), B), /strsm: argument A must be a square matrix; got 3x2/);
      await expectReject(() => la.strsm(A, B, { alpha: Infinity }), /strsm: argument options\.alpha must be a finite number; got Infinity/);
      await expectReject(() => la.strsm(A, B, { transA: 'yes' as never }), /strsm: argument options\.transA must be a boolean; got "yes"/);
      await expectReject(() => la.strsm(A, A.view(0, 0, 3, 2)), /strsm: argument B must be not to overlap input A/);
      await expectReject(() => la.strsm(A, la.matrix(3, 2, 'float64') as never), /strsm: argument B must be a float32 matrix/);
      const D = la.matrix(3, 3, 'float64');
      await expectReject(() => la.dtrsv(D, la.matrix(2, 1, 'float64')), /dtrsv: argument x must be a vector of length 3 .*got 2x1 float64 matrix/);
      await expectReject(() => la.dtrsv(D, la.matrix(3, 3, 'float64')), /dtrsv: argument x must be a vector of length 3/);
      await expectReject(() => la.dtrsv(D, la.vector(3, 'float64'), { trans: 1 as never }), /dtrsv: argument options\.trans must be a boolean; got 1/);
      await expectReject(() => la.dtrsv(D, la.vector(3, 'float64'), 'lower' as never), /dtrsv: argument options must be an object; got "lower"/);
    },
  });
  return cases;
}
