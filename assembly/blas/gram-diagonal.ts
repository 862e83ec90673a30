// x_j := (AᵀA)_jj = Σ_i A[i, j]² or its reciprocal, for a rows x cols A: the diagonal of the Gram
// matrix without forming it. With U upper triangular and H⁻¹ = UᵀU (the factor SparseGPT uses),
// it is diag(H⁻¹), the OBS column weights' denominators, at rows·cols flops instead of a potri.
// Sums accumulate in float64 over the rows (f32 data promoted lane-wise) in a cols-long f64 work
// buffer, then are rounded once into x.
import { lanes } from '../util/mem';
import { rowOf, store1 } from '../util/wide';

function gramDiagonal<T>(rows: i32, cols: i32, a: usize, lda: i32, x: usize, incx: i32, reciprocal: i32, work: usize): void {
  const L = lanes<T>(), sz = <usize>sizeof<T>();
  memory.fill(work, 0, <usize>cols * 8);
  for (let i = 0; i < rows; i++) {
    const ai = rowOf<T>(a, lda, i);
    let j = 0;
    if (sizeof<T>() == 4) {
      for (; j + L <= cols; j += L) {
        const v = v128.load(ai + <usize>j * sz), w = work + (<usize>j << 3);
        const lo = f64x2.promote_low_f32x4(v), hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
        v128.store(w, f64x2.add(v128.load(w), f64x2.mul(lo, lo)));
        v128.store(w + 16, f64x2.add(v128.load(w + 16), f64x2.mul(hi, hi)));
      }
    } else {
      for (; j + L <= cols; j += L) {
        const v = v128.load(ai + <usize>j * sz), w = work + (<usize>j << 3);
        v128.store(w, f64x2.add(v128.load(w), f64x2.mul(v, v)));
      }
    }
    for (; j < cols; j++) {
      const v = <f64>load<T>(ai + <usize>j * sz), w = work + (<usize>j << 3);
      store<f64>(w, load<f64>(w) + v * v);
    }
  }
  for (let j = 0; j < cols; j++) {
    const s = load<f64>(work + (<usize>j << 3));
    store1<T>(x + <usize>j * <usize>incx * sz, 0, reciprocal ? 1.0 / s : s);
  }
}

/** x[j·incx] := Σ_i A[i, j]² (reciprocal = 0) or its reciprocal, A float32 rows x cols (lda); work: cols f64. */
export function sgramDiagonal(rows: i32, cols: i32, a: usize, lda: i32, x: usize, incx: i32, reciprocal: i32, work: usize): void {
  gramDiagonal<f32>(rows, cols, a, lda, x, incx, reciprocal, work);
}

/** The float64 gramDiagonal (see sgramDiagonal). */
export function dgramDiagonal(rows: i32, cols: i32, a: usize, lda: i32, x: usize, incx: i32, reciprocal: i32, work: usize): void {
  gramDiagonal<f64>(rows, cols, a, lda, x, incx, reciprocal, work);
}
