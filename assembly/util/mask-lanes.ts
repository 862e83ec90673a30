// Keep-mask bytes as SIMD lane masks: four mask bytes become four 32-bit lanes (all ones where
// the byte is nonzero), or two pairs of 64-bit lanes, so a row of float32 or float64 values is
// masked with one v128.and per vector. Shared by applyMask, zeroColumns and maskViolation.

/** i32x4 lanes: all ones where mask byte j + l (l < 4) at m is nonzero, else zero. */
// @ts-ignore: decorator
@inline export function setLanes4(m: usize, j: i32): v128 {
  const bytes = v128.load32_zero(m + <usize>j);
  const wide = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(bytes));
  return v128.not(i32x4.eq(wide, i32x4.splat(0)));
}

/**
 * Zeroes element j of the T row at a where (mask byte j ≠ 0) == zeroWhereSet, for j < n: with
 * zeroWhereSet false the pruned entries of a keep-mask, with true the marked columns.
 */
export function maskRow<T>(n: i32, a: usize, m: usize, zeroWhereSet: bool): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    let keep = setLanes4(m, j);
    if (zeroWhereSet) keep = v128.not(keep);
    if (sizeof<T>() == 4) {
      const p = a + (<usize>j << 2);
      v128.store(p, v128.and(v128.load(p), keep));
    } else {
      const p = a + (<usize>j << 3);
      v128.store(p, v128.and(v128.load(p), i64x2.extend_low_i32x4_s(keep)));
      v128.store(p, v128.and(v128.load(p, 16), i64x2.extend_high_i32x4_s(keep)), 16);
    }
  }
  for (; j < n; j++) {
    if ((load<u8>(m + <usize>j) != 0) == zeroWhereSet) store<T>(a + (<usize>j << alignof<T>()), <T>0);
  }
}
