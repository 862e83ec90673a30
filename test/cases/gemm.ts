// sgemm / dgemm against the float64 reference: odd sizes, both transposes, strided views
// (a matrix inside a larger one), alpha/beta, NaN in C with beta = 0, and bad arguments.
import { type Case, type CaseContext, check, eps, expectClose, type Matrix, expectReject } from './harness.js';
import { Rng } from './random.js';

type DT = 'float32' | 'float64';
const SIZES: [number, number, number][] = [[1, 1, 1], [3, 3, 3], [17, 17, 17], [130, 130, 130], [1, 17, 3], [17, 3, 130], [130, 1, 17], [5, 130, 9], [33, 65, 300]];

/** A rows x cols view at (1, 2) inside a larger random matrix when `strided`, else a plain one. */
function operand(la: CaseContext['la'], rng: Rng, rows: number, cols: number, dtype: DT, strided: boolean, values?: number[]): Matrix {
  const v = values ?? rng.normals(rows * cols);
  if (!strided) return la.fromArray(v, rows, cols, dtype);
  const big = la.fromArray(rng.normals((rows + 3) * (cols + 5)), rows + 3, cols + 5, dtype);
  const M = big.view(1, 2, rows, cols);
  la.write(M, v);
  return M;
}

function gemmCase(m: number, n: number, k: number, transA: boolean, transB: boolean, dtype: DT, strided: boolean, seed: number): Case {
  const name = `${dtype === 'float32' ? 's' : 'd'}gemm ${m}x${n}x${k} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${strided ? ' strided' : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run(ctx) {
      const rng = new Rng(seed);
      const [ar, ac] = transA ? [k, m] : [m, k];
      const [br, bc] = transB ? [n, k] : [k, n];
      const av = rng.normals(ar * ac), bv = rng.normals(br * bc), cv = rng.normals(m * n);
      const alpha = 0.5 + rng.uniform(), beta = rng.uniform() < 0.5 ? 0 : rng.normal();
      const opts = { transA, transB, alpha, beta };
      const A = operand(ctx.la, rng, ar, ac, dtype, strided, av);
      const B = operand(ctx.la, rng, br, bc, dtype, strided, bv);
      const C = operand(ctx.la, rng, m, n, dtype, strided, cv);
      const Ar = ctx.ref.fromArray(av, ar, ac, 'float64'), Br = ctx.ref.fromArray(bv, br, bc, 'float64');
      const Cr = ctx.ref.fromArray(cv, m, n, 'float64');
      const Abs = async (M: Matrix) => ctx.ref.fromArray(Array.from(await ctx.ref.read(M), Math.abs), M.rows, M.cols, 'float64');
      const bound = ctx.ref.fromArray(cv.map(Math.abs), m, n, 'float64');
      if (dtype === 'float32') await ctx.la.sgemm(A as never, B as never, C as never, opts);
      else await ctx.la.dgemm(A as never, B as never, C as never, opts);
      await ctx.ref.dgemm(Ar as never, Br as never, Cr as never, opts);
      // Error bound per element: γ(k) · (|α| |op(A)| |op(B)| + |β| |C|).
      await ctx.ref.dgemm(await Abs(Ar) as never, await Abs(Br) as never, bound as never, { transA, transB, alpha: Math.abs(alpha), beta: Math.abs(beta) });
      expectClose(name, await ctx.la.read(C), await ctx.ref.read(Cr), 4 * (k + 2) * eps(dtype), await ctx.ref.read(bound));
    },
  };
}

export function gemmCases(): Case[] {
  const cases: Case[] = [];
  let seed = 1;
  for (const dtype of ['float32', 'float64'] as DT[]) {
    for (const [m, n, k] of SIZES) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) cases.push(gemmCase(m, n, k, transA, transB, dtype, (seed & 1) === 0, seed++));
      }
    }
  }
  cases.push({
    name: 'sgemm beta = 0 clears NaN in C; k = 0 leaves beta * C',
    deviceNeutral: true,
    async run({ la }) {
      const A = la.fromArray([1, 2], 1, 2), B = la.fromArray([3, 4], 2, 1);
      const C = la.fromArray([NaN], 1, 1);
      await la.sgemm(A, B, C);
      const c = await la.read(C);
      check(c[0] === 11, () => `C = ${c[0]}, want 11`);
      const E = la.matrix(2, 0), F = la.matrix(0, 2), G = la.fromArray([1, 2, 3, 4], 2, 2);
      await la.sgemm(E, F, G, { beta: 2 });
      const g = (await la.read(G)).join();
      check(g === '2,4,6,8', () => `k = 0 gave ${g}`);
      // The dtype-generic entry dispatches on the dtype.
      const D = la.matrix(1, 1, 'float64');
      await la.gemm(la.fromArray([1, 2], 1, 2, 'float64'), la.fromArray([3, 4], 2, 1, 'float64'), D);
      check((await la.read(D))[0] === 11, () => 'gemm (float64) gave a wrong product');
    },
  });
  cases.push({
    name: 'sgemm rejects bad arguments with their names',
    deviceNeutral: true,
    async run({ la }) {
      const A = la.matrix(2, 3), B = la.matrix(4, 2), C = la.matrix(2, 2), D = la.matrix(2, 2, 'float64');
      await expectReject(() => la.sgemm(A, B, C), /sgemm: argument B .*4x2/);
      await expectReject(() => la.sgemm(A, la.matrix(3, 2), D as never), /sgemm: argument C .*float32/);
      await expectReject(() => la.sgemm(A, la.matrix(3, 3), C), /sgemm: argument C .*2x3/);
      await expectReject(() => la.sgemm(A, la.matrix(3, 2), C, { alpha: NaN }), /options\.alpha .*finite/);
      await expectReject(() => la.sgemm(C, C, C), /argument C .*overlap/);
      await expectReject(() => la.dgemm(A as never, B as never, C as never), /dgemm: argument A .*float64/);
      await expectReject(() => la.gemm(la.matrix(2, 2, 'uint8') as never, B, C), /gemm: argument A .*float32 or float64/);
    },
  });
  return cases;
}
