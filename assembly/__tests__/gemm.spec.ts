// as-pect specs for the internals of assembly/blas/gemm.ts, run on raw memory from heap.alloc.
// Numbers only: as-pect's reflection of class instances does not work with AssemblyScript 0.28.
// Every input is a small integer, so each expected value below is exact in f32 and f64.
import { gemm, gemmWorkBytes, scaleMatrix } from '../blas/gemm';

/** Element i of a T array at p, widened to f64. */
function get<T>(p: usize, i: i32): f64 {
  return <f64>load<T>(p + (<usize>i << alignof<T>()));
}

function put<T>(p: usize, i: i32, v: f64): void {
  store<T>(p + (<usize>i << alignof<T>()), <T>v);
}

function alloc<T>(count: i32): usize {
  return heap.alloc(<usize>count << alignof<T>());
}

/** A 3 x 5 block with leading dimension 6; column 5 is a sentinel the kernel must not touch. */
function scaleCase<T>(fill: f64, beta: T): usize {
  const c = alloc<T>(18);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 5; j++) put<T>(c, i * 6 + j, fill == 0 ? <f64>(i * 5 + j - 7) : fill);
    put<T>(c, i * 6 + 5, 777);
  }
  scaleMatrix<T>(3, 5, beta, c, 6);
  return c;
}

function checkScaleClearsNaN<T>(): void {
  const c = scaleCase<T>(NaN, <T>0);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 5; j++) expect<f64>(get<T>(c, i * 6 + j)).toBe(0);
    expect<f64>(get<T>(c, i * 6 + 5)).toBe(777);
  }
  heap.free(c);
}

function checkScaleByTwo<T>(): void {
  const c = scaleCase<T>(0, <T>2);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 5; j++) expect<f64>(get<T>(c, i * 6 + j)).toBe(<f64>(2 * (i * 5 + j - 7)));
    expect<f64>(get<T>(c, i * 6 + 5)).toBe(777);
  }
  heap.free(c);
}

function checkScaleByOneKeepsNaN<T>(): void {
  const c = scaleCase<T>(NaN, <T>1);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) expect<f64>(get<T>(c, i * 6 + j)).toBeNaN();
  heap.free(c);
}

/** [[1, 2], [3, 4]] x [[5, 6], [7, 8]] = [[19, 22], [43, 50]]. */
function checkTwoByTwo<T>(): void {
  const a = alloc<T>(4), b = alloc<T>(4), c = alloc<T>(4), work = heap.alloc(gemmWorkBytes<T>());
  for (let i = 0; i < 4; i++) {
    put<T>(a, i, <f64>(i + 1));
    put<T>(b, i, <f64>(i + 5));
    put<T>(c, i, NaN); // beta = 0: NaN in C must not survive
  }
  gemm<T>(0, 0, 2, 2, 2, <T>1, a, 2, b, 2, <T>0, c, 2, work);
  expect<f64>(get<T>(c, 0)).toBe(19);
  expect<f64>(get<T>(c, 1)).toBe(22);
  expect<f64>(get<T>(c, 2)).toBe(43);
  expect<f64>(get<T>(c, 3)).toBe(50);
  heap.free(a); heap.free(b); heap.free(c); heap.free(work);
}

// The 5 x 9 x 3 case: op(A)[i][p] = i - p + 1, op(B)[p][j] = j % 4 - 2p + 1, C[i][j] = 9i + j - 20
// on entry, alpha = 2, beta = -1. C = 2 op(A) op(B) - C, worked out by hand (row 0: op(A) row
// [1, 0, -1] against op(B) column 0 [1, -1, -3] is 4, so C[0][0] = 8 + 20 = 28, and so on).
// 5 x 9 leaves edge tiles in both directions for MR = 4 and NR = 8 (f32) or 4 (f64).
const EXPECTED = memory.data<f64>([
  28, 27, 26, 25, 24, 23, 22, 21, 20,
  13, 18, 23, 28, 9, 14, 19, 24, 5,
  -2, 9, 20, 31, -6, 5, 16, 27, -10,
  -17, 0, 17, 34, -21, -4, 13, 30, -25,
  -32, -9, 14, 37, -36, -13, 10, 33, -40,
]);

/**
 * The 5 x 9 x 3 product with op(A) stored transposed or not (lda 7), op(B) likewise (ldb 10),
 * and C inside a 5 x 11 block whose last two columns are sentinels.
 */
function checkEdgeTile<T>(transA: i32, transB: i32): void {
  const m = 5, n = 9, k = 3, lda = 7, ldb = 10, ldc = 11;
  const a = alloc<T>(m * lda), b = alloc<T>(n * ldb), c = alloc<T>(m * ldc);
  const work = heap.alloc(gemmWorkBytes<T>());
  for (let i = 0; i < m * lda; i++) put<T>(a, i, 1000); // padding: must never be read into C
  for (let i = 0; i < n * ldb; i++) put<T>(b, i, 1000);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) put<T>(a, transA ? p * lda + i : i * lda + p, <f64>(i - p + 1));
  }
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) put<T>(b, transB ? j * ldb + p : p * ldb + j, <f64>((j % 4) - 2 * p + 1));
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) put<T>(c, i * ldc + j, j < n ? <f64>(9 * i + j - 20) : 777);
  }
  gemm<T>(transA, transB, m, n, k, <T>2, a, lda, b, ldb, <T>-1, c, ldc, work);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) expect<f64>(get<T>(c, i * ldc + j)).toBe(load<f64>(EXPECTED + <usize>(i * n + j) * 8));
    expect<f64>(get<T>(c, i * ldc + 9)).toBe(777);
    expect<f64>(get<T>(c, i * ldc + 10)).toBe(777);
  }
  heap.free(a); heap.free(b); heap.free(c); heap.free(work);
}

/** k = 0 and alpha = 0 leave beta * C without reading A or B. */
function checkNoProduct<T>(): void {
  const c = alloc<T>(6), work = heap.alloc(gemmWorkBytes<T>());
  for (let i = 0; i < 6; i++) put<T>(c, i, <f64>(i - 2));
  gemm<T>(0, 0, 2, 3, 0, <T>1, 0, 1, 0, 3, <T>3, c, 3, work);
  for (let i = 0; i < 6; i++) expect<f64>(get<T>(c, i)).toBe(<f64>(3 * (i - 2)));
  gemm<T>(1, 1, 2, 3, 4, <T>0, 0, 1, 0, 3, <T>-1, c, 3, work);
  for (let i = 0; i < 6; i++) expect<f64>(get<T>(c, i)).toBe(<f64>(-3 * (i - 2)));
  heap.free(c); heap.free(work);
}

describe('scaleMatrix', () => {
  it('f32: beta = 0 clears NaN and keeps the padding', () => { checkScaleClearsNaN<f32>(); });
  it('f64: beta = 0 clears NaN and keeps the padding', () => { checkScaleClearsNaN<f64>(); });
  it('f32: beta = 2 doubles', () => { checkScaleByTwo<f32>(); });
  it('f64: beta = 2 doubles', () => { checkScaleByTwo<f64>(); });
  it('f32: beta = 1 leaves C alone', () => { checkScaleByOneKeepsNaN<f32>(); });
  it('f64: beta = 1 leaves C alone', () => { checkScaleByOneKeepsNaN<f64>(); });
});

describe('gemm', () => {
  it('f32: 2x2x2', () => { checkTwoByTwo<f32>(); });
  it('f64: 2x2x2', () => { checkTwoByTwo<f64>(); });
  it('f32: 5x9x3 NN', () => { checkEdgeTile<f32>(0, 0); });
  it('f32: 5x9x3 NT', () => { checkEdgeTile<f32>(0, 1); });
  it('f32: 5x9x3 TN', () => { checkEdgeTile<f32>(1, 0); });
  it('f32: 5x9x3 TT', () => { checkEdgeTile<f32>(1, 1); });
  it('f64: 5x9x3 NN', () => { checkEdgeTile<f64>(0, 0); });
  it('f64: 5x9x3 NT', () => { checkEdgeTile<f64>(0, 1); });
  it('f64: 5x9x3 TN', () => { checkEdgeTile<f64>(1, 0); });
  it('f64: 5x9x3 TT', () => { checkEdgeTile<f64>(1, 1); });
  it('f32: k = 0 and alpha = 0 leave beta * C', () => { checkNoProduct<f32>(); });
  it('f64: k = 0 and alpha = 0 leave beta * C', () => { checkNoProduct<f64>(); });
});
