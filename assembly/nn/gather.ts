// Row gather (an embedding lookup): Y[t, :] := E[ids[t], :] for t < rows, elements of `size`
// bytes copied as they are. Every id is checked against the `vocab` rows of E first; when one is
// out of range nothing is written.

/**
 * Y[t, :] := E[ids[t], :] for the rows x cols matrices E (vocab rows, lde) and Y (ldy) of
 * `size`-byte elements, ids an int32 vector at ids with stride inc. Returns -1, or the first t
 * whose id is not in [0, vocab) (Y untouched then).
 */
export function gatherRows(rows: i32, cols: i32, size: i32, vocab: i32, e: usize, lde: i32, ids: usize, inc: i32, y: usize, ldy: i32): i32 {
  for (let t = 0; t < rows; t++) {
    const id = load<i32>(ids + ((<usize>t * <usize>inc) << 2));
    if (id < 0 || id >= vocab) return t;
  }
  const es = <usize>size, rowBytes = <usize>cols * es;
  for (let t = 0; t < rows; t++) {
    const id = load<i32>(ids + ((<usize>t * <usize>inc) << 2));
    memory.copy(y + <usize>t * <usize>ldy * es, e + <usize>id * <usize>lde * es, rowBytes);
  }
  return -1;
}
