// A[:, j] := 0 for every column j marked (nonzero byte) in a 1 x cols uint8 vector: the same
// row masking as applyMask, with one mask row for every row of A and the sense reversed.
import { maskRow } from '../util/mask-lanes';
import { rowOf } from '../util/wide';

/** Zeroes the columns of the rows x cols T matrix at a (lda) marked in the cols bytes at c. */
function zeroColumns<T>(rows: i32, cols: i32, a: usize, lda: i32, c: usize): void {
  for (let i = 0; i < rows; i++) maskRow<T>(cols, rowOf<T>(a, lda, i), c, true);
}

/** A[:, j] := 0 where c[j] ≠ 0, A float32 rows x cols (lda), c cols bytes. */
export function szeroColumns(rows: i32, cols: i32, a: usize, lda: i32, c: usize): void {
  zeroColumns<f32>(rows, cols, a, lda, c);
}

/** A[:, j] := 0 where c[j] ≠ 0, A float64 rows x cols (lda), c cols bytes. */
export function dzeroColumns(rows: i32, cols: i32, a: usize, lda: i32, c: usize): void {
  zeroColumns<f64>(rows, cols, a, lda, c);
}
