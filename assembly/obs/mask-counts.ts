// Kept entries of a keep-mask: the sum of each row's bytes into an int32 vector, and the largest
// sum over every group of groupSize consecutive columns (the N:M check). Bytes are summed 16 at
// a time by pairwise widening adds into 32-bit lanes.

/** Σ of the n bytes at p. */
function sumBytes(n: i32, p: usize): i32 {
  let acc = i32x4.splat(0);
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v128.load(p + <usize>j))));
  }
  let s = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; j < n; j++) s += <i32>load<u8>(p + <usize>j);
  return s;
}

/**
 * counts[i·inc] := Σ_j mask[i, j] for the rows x cols uint8 mask at m (leading dimension ldm);
 * returns the largest Σ over a group of groupSize consecutive columns of a row (0 when groupSize
 * is 0; otherwise cols is a multiple of groupSize).
 */
export function maskCounts(rows: i32, cols: i32, m: usize, ldm: i32, groupSize: i32, counts: usize, inc: i32): i32 {
  let most = 0;
  for (let i = 0; i < rows; i++) {
    const row = m + <usize>i * <usize>ldm;
    let kept = 0;
    if (groupSize > 0) {
      for (let j = 0; j < cols; j += groupSize) {
        const g = sumBytes(groupSize, row + <usize>j);
        kept += g;
        if (g > most) most = g;
      }
    } else {
      kept = sumBytes(cols, row);
    }
    store<i32>(counts + ((<usize>i * <usize>inc) << 2), kept);
  }
  return most;
}
