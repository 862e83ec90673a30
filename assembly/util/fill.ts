// Fill: every element of a strided rows x cols matrix := one bit pattern of 1, 2, 4 or 8 bytes.
// The pattern is splatted into a v128 and stored 16 bytes at a time; since every element size
// divides 16, each vector store lands on whole elements. The tail of a row is stored per element.

/** A v128 holding the element pattern (lo, and hi for 8-byte elements) repeated. */
// @ts-ignore: decorator
@inline function splatPattern(size: i32, lo: i32, hi: i32): v128 {
  if (size == 1) return i8x16.splat(<i8>lo);
  if (size == 2) return i16x8.splat(<i16>lo);
  if (size == 4) return i32x4.splat(lo);
  return i64x2.splat((<i64>hi << 32) | <i64><u32>lo);
}

/** Stores the pattern over `bytes` bytes at p (a whole number of elements of `size` bytes). */
function fillBytes(p: usize, bytes: usize, size: i32, v: v128): void {
  let k: usize = 0;
  for (; k + 16 <= bytes; k += 16) v128.store(p + k, v);
  if (size == 1) for (; k < bytes; k++) store<u8>(p + k, i8x16.extract_lane_u(v, 0));
  else if (size == 2) for (; k < bytes; k += 2) store<u16>(p + k, i16x8.extract_lane_u(v, 0));
  else if (size == 4) for (; k < bytes; k += 4) store<u32>(p + k, i32x4.extract_lane(v, 0));
  else for (; k < bytes; k += 8) store<u64>(p + k, i64x2.extract_lane(v, 0));
}

/**
 * A[i, j] := pattern for every element of the rows x cols matrix at a (leading dimension lda,
 * in elements of `size` bytes: 1, 2, 4 or 8). The pattern is the low `size` bytes of lo, or
 * hi:lo for 8-byte elements (the caller encodes the value: float bits, a half pattern, an int).
 */
export function fill(rows: i32, cols: i32, size: i32, a: usize, lda: i32, lo: i32, hi: i32): void {
  if (rows <= 0 || cols <= 0) return;
  const v = splatPattern(size, lo, hi);
  const es = <usize>size;
  if (lda == cols || rows == 1) {
    fillBytes(a, <usize>rows * <usize>cols * es, size, v);
    return;
  }
  const rowBytes = <usize>cols * es, step = <usize>lda * es;
  for (let i = 0; i < rows; i++) {
    fillBytes(a, rowBytes, size, v);
    a += step;
  }
}
