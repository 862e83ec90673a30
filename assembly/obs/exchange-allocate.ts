// Pairs additions with removals across rows (the allocation step of I-OBS's exchange search for a
// layer-wide budget). Row r offers its greedy addition trajectory (gains addGain[r, 0..steps),
// columns addIndex) and its greedy removal trajectory (costs removeCost[r, ..], columns
// removeIndex), each exact for any prefix: taking the first q additions of row a changes f by
// −Σ gains, the first q removals of row b by +Σ costs, and rows are independent. So while the
// largest next gain of a row exceeds the least next cost of another row, the exchange lowers the
// layer objective exactly by their difference and keeps the number of kept weights. A row that
// has taken an addition takes only additions this round, and likewise for removals (its two
// trajectories start from the same state and do not compose).
// @ts-ignore: decorator
@inline function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** An exchange is taken when the gain exceeds the cost by more than this fraction of the gain. */
const EXCHANGE_TOLERANCE: f64 = 1e-12;

/**
 * Greedy pairing of the rows x steps trajectories (row-major, contiguous). changed (rows int32) is
 * written: +q for a row that took q additions, −q for q removals, 0 untouched; mask (rows x c
 * bytes) gets the columns added set and the columns removed cleared. Ties go to the smaller row;
 * an index outside [0, c) counts as no candidate.
 * Returns the number of exchanges.
 */
export function dobsExchangeAllocate(rows: i32, c: i32, steps: i32, addGain: usize, addIndex: usize,
  removeCost: usize, removeIndex: usize, mask: usize, changed: usize): i32 {
  memory.fill(changed, 0, <usize>rows << 2);
  if (steps <= 0) return 0;
  let count = 0;
  for (;;) {
    // The two best next additions and the two best next removals, in distinct rows.
    let a1 = -1, a2 = -1, r1 = -1, r2 = -1;
    let ga1 = 0.0, ga2 = 0.0, cr1 = 0.0, cr2 = 0.0;
    for (let r = 0; r < rows; r++) {
      const q = ldi(changed, r);
      const o = r * steps;
      if (q >= 0 && q < steps && <u32>ldi(addIndex, o + q) < <u32>c) {
        const g = load<f64>(addGain + (<usize>(o + q) << 3));
        if (a1 < 0 || g > ga1) { a2 = a1; ga2 = ga1; a1 = r; ga1 = g; }
        else if (a2 < 0 || g > ga2) { a2 = r; ga2 = g; }
      }
      if (q <= 0 && -q < steps && <u32>ldi(removeIndex, o - q) < <u32>c) {
        const v = load<f64>(removeCost + (<usize>(o - q) << 3));
        if (r1 < 0 || v < cr1) { r2 = r1; cr2 = cr1; r1 = r; cr1 = v; }
        else if (r2 < 0 || v < cr2) { r2 = r; cr2 = v; }
      }
    }
    let ra = -1, rr = -1, g = 0.0, v = 0.0;
    if (a1 >= 0 && r1 >= 0 && a1 != r1) { ra = a1; g = ga1; rr = r1; v = cr1; }
    else if (a1 >= 0 && r1 >= 0) {
      // The best of each side is one row: pair it with the other side's second best.
      const x = a2 >= 0 ? ga2 - cr1 : -Infinity, y = r2 >= 0 ? ga1 - cr2 : -Infinity;
      if (x >= y && a2 >= 0) { ra = a2; g = ga2; rr = r1; v = cr1; }
      else if (r2 >= 0) { ra = a1; g = ga1; rr = r2; v = cr2; }
    }
    if (ra < 0 || !(g - v > EXCHANGE_TOLERANCE * g)) break;
    const qa = ldi(changed, ra), qr = -ldi(changed, rr);
    store<u8>(mask + <usize>ra * <usize>c + <usize>ldi(addIndex, ra * steps + qa), 1);
    store<u8>(mask + <usize>rr * <usize>c + <usize>ldi(removeIndex, rr * steps + qr), 0);
    store<i32>(changed + (<usize>ra << 2), qa + 1);
    store<i32>(changed + (<usize>rr << 2), -(qr + 1));
    count++;
  }
  return count;
}
