// The number of positions where two keep-masks of one shape differ: 16 byte comparisons per
// v128, their bitmask counted with popcnt.

/** Positions j < n where the byte rows at a and b differ. */
function differencesInRow(n: i32, a: usize, b: usize): i32 {
  let count = 0;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const ne = i8x16.ne(v128.load(a + <usize>j), v128.load(b + <usize>j));
    count += popcnt<i32>(i8x16.bitmask(ne));
  }
  for (; j < n; j++) if (load<u8>(a + <usize>j) != load<u8>(b + <usize>j)) count++;
  return count;
}

/** Positions where the rows x cols uint8 masks at a (lda) and b (ldb) differ. */
export function maskDifference(rows: i32, cols: i32, a: usize, lda: i32, b: usize, ldb: i32): i32 {
  let count = 0;
  for (let i = 0; i < rows; i++) count += differencesInRow(cols, a + <usize>i * <usize>lda, b + <usize>i * <usize>ldb);
  return count;
}
