// Dead inputs of a square Hessian: an input j whose H[j, j] is exactly 0 never fired, so its
// row and column are zero too; marking it and setting H[j, j] := 1 keeps H factorable.

/** dead[j] := 1 where H[j, j] = 0 (and those H[j, j] := 1), else 0; returns the count. */
function deadInputs<T>(n: i32, h: usize, ldh: i32, dead: usize): i32 {
  const step = (<usize>ldh + 1) * sizeof<T>();
  let count = 0;
  for (let j = 0; j < n; j++) {
    const isDead = load<T>(h) == <T>0;
    store<u8>(dead + <usize>j, isDead ? 1 : 0);
    if (isDead) {
      store<T>(h, <T>1);
      count++;
    }
    h += step;
  }
  return count;
}

/** Dead inputs of the n x n float32 H (leading dimension ldh) into the n bytes at dead; returns their number. */
export function sdeadInputs(n: i32, h: usize, ldh: i32, dead: usize): i32 {
  return deadInputs<f32>(n, h, ldh, dead);
}

/** Dead inputs of the n x n float64 H (leading dimension ldh) into the n bytes at dead; returns their number. */
export function ddeadInputs(n: i32, h: usize, ldh: i32, dead: usize): i32 {
  return deadInputs<f64>(n, h, ldh, dead);
}
