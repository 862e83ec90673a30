// Rotary position embedding in place, in Hugging Face's rotate_half convention: every row t of a
// rows x (heads·d) matrix holds `heads` vectors of d (even) elements; element i < d/2 of a head
// is paired with element i + d/2 and the pair is turned by the angle p_t · θ^(−2i/d), p_t the
// row's position: (x1, x2) := (x1 cos − x2 sin, x2 cos + x1 sin). Angles, cosines and sines are
// computed in float64 (Hugging Face computes them in float32), each element rounded once on store.

/** Position of row t: positions[t · inc] when positions ≠ 0, else start + t. */
// @ts-ignore: decorator
@inline function positionOf(t: i32, start: i32, positions: usize, inc: i32): f64 {
  return positions != 0 ? <f64>load<i32>(positions + ((<usize>t * <usize>inc) << 2)) : <f64>start + <f64>t;
}

/** Rotary embedding of the rows x cols T matrix at x (ldx), cols a multiple of d. */
function rotary<T>(rows: i32, cols: i32, x: usize, ldx: i32, d: i32, theta: f64, start: i32, positions: usize, inc: i32): void {
  const half = d >> 1, heads = cols / d;
  const es = <usize>sizeof<T>(), step = <usize>d * es, pairOffset = <usize>half * es;
  for (let t = 0; t < rows; t++) {
    const p = positionOf(t, start, positions, inc);
    const row = x + <usize>t * <usize>ldx * es;
    for (let i = 0; i < half; i++) {
      const angle = p * Math.pow(theta, -2.0 * <f64>i / <f64>d);
      const c = Math.cos(angle), s = Math.sin(angle);
      let a = row + <usize>i * es;
      for (let h = 0; h < heads; h++) {
        const x1 = <f64>load<T>(a), x2 = <f64>load<T>(a + pairOffset);
        store<T>(a, <T>(x1 * c - x2 * s));
        store<T>(a + pairOffset, <T>(x2 * c + x1 * s));
        a += step;
      }
    }
  }
}

/**
 * Rotary embedding in place on the float32 rows x cols matrix at x (ldx): heads of d elements,
 * base theta; positions from the int32 vector at positions (stride inc) when positions ≠ 0,
 * else start + row.
 */
export function srotary(rows: i32, cols: i32, x: usize, ldx: i32, d: i32, theta: f64, start: i32, positions: usize, inc: i32): void {
  rotary<f32>(rows, cols, x, ldx, d, theta, start, positions, inc);
}

/** Rotary embedding in place on a float64 matrix; as srotary. */
export function drotary(rows: i32, cols: i32, x: usize, ldx: i32, d: i32, theta: f64, start: i32, positions: usize, inc: i32): void {
  rotary<f64>(rows, cols, x, ldx, d, theta, start, positions, inc);
}
