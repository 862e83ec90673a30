// Σ A_ij B_ij over strided rows x cols matrices, accumulated in float64: every product is formed
// in float64 (exact for two float32 factors) and summed in two f64x2 accumulators, reduced in a
// fixed order at the end. Multiplies and adds are never fused, so both Wasm builds agree.
import { load1, load2, rowOf, sum2 } from '../util/wide';

/** Σ A_ij B_ij with A of type A and B of type B, in float64. */
function dot<A, B>(rows: i32, cols: i32, a: usize, lda: i32, b: usize, ldb: i32): f64 {
  let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
  let tail = 0.0;
  for (let i = 0; i < rows; i++) {
    const ar = rowOf<A>(a, lda, i), br = rowOf<B>(b, ldb, i);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      acc0 = f64x2.add(acc0, f64x2.mul(load2<A>(ar, j), load2<B>(br, j)));
      acc1 = f64x2.add(acc1, f64x2.mul(load2<A>(ar, j + 2), load2<B>(br, j + 2)));
    }
    for (; j < cols; j++) tail += load1<A>(ar, j) * load1<B>(br, j);
  }
  return sum2(f64x2.add(acc0, acc1)) + tail;
}

/** Σ A_ij B_ij of two float64 matrices (leading dimensions lda, ldb). */
export function ddot(rows: i32, cols: i32, a: usize, lda: i32, b: usize, ldb: i32): f64 {
  return dot<f64, f64>(rows, cols, a, lda, b, ldb);
}

/** Σ A_ij B_ij of two float32 matrices, accumulated in float64 (BLAS's dsdot, for matrices). */
export function dsdot(rows: i32, cols: i32, a: usize, lda: i32, b: usize, ldb: i32): f64 {
  return dot<f32, f32>(rows, cols, a, lda, b, ldb);
}

/** Σ A_ij B_ij of a float32 A and a float64 B, in float64 (mixed; swap the operands for f64 · f32). */
export function dmdot(rows: i32, cols: i32, a: usize, lda: i32, b: usize, ldb: i32): f64 {
  return dot<f32, f64>(rows, cols, a, lda, b, ldb);
}
