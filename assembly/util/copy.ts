// Same-dtype strided copy: B := A for rows x cols elements of `size` bytes (1, 2, 4 or 8).
// Each row is one bulk memory.copy; when both matrices are compact the whole block is one.

/**
 * B := A, both rows x cols row-major with leading dimensions lda and ldb (in elements of
 * `size` bytes). A and B must not overlap.
 */
export function copyMatrix(rows: i32, cols: i32, size: i32, a: usize, lda: i32, b: usize, ldb: i32): void {
  if (rows <= 0 || cols <= 0) return;
  const es = <usize>size;
  if ((lda == cols && ldb == cols) || rows == 1) {
    memory.copy(b, a, <usize>rows * <usize>cols * es);
    return;
  }
  const rowBytes = <usize>cols * es, sa = <usize>lda * es, sb = <usize>ldb * es;
  for (let i = 0; i < rows; i++) {
    memory.copy(b, a, rowBytes);
    a += sa;
    b += sb;
  }
}
