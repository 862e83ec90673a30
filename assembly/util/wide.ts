// Two elements of an f32 or f64 array as one f64x2 vector, and back: the float64 arithmetic of
// the elementwise kernels runs on these, so float32 data are computed in float64 and rounded
// once on store (what the float64 reference does, element for element).

/** Elements j, j + 1 of the T array at p, widened to f64x2. */
// @ts-ignore: decorator
@inline export function load2<T>(p: usize, j: i32): v128 {
  if (sizeof<T>() == 8) return v128.load(p + (<usize>j << 3));
  return f64x2.promote_low_f32x4(v128.load64_zero(p + (<usize>j << 2)));
}

/** Stores the f64x2 v as elements j, j + 1 of the T array at p (rounded to nearest for f32). */
// @ts-ignore: decorator
@inline export function store2<T>(p: usize, j: i32, v: v128): void {
  if (sizeof<T>() == 8) v128.store(p + (<usize>j << 3), v);
  else v128.store64_lane(p + (<usize>j << 2), f32x4.demote_f64x2_zero(v), 0);
}

/** Element j of the T array at p as f64. */
// @ts-ignore: decorator
@inline export function load1<T>(p: usize, j: i32): f64 {
  return <f64>load<T>(p + (<usize>j << alignof<T>()));
}

/** Stores the f64 v as element j of the T array at p (rounded to nearest for f32). */
// @ts-ignore: decorator
@inline export function store1<T>(p: usize, j: i32, v: f64): void {
  store<T>(p + (<usize>j << alignof<T>()), <T>v);
}

/** Sum of the two lanes of an f64x2. */
// @ts-ignore: decorator
@inline export function sum2(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Address of row i of a row-major T matrix at p with leading dimension ld. */
// @ts-ignore: decorator
@inline export function rowOf<T>(p: usize, ld: i32, i: i32): usize {
  return p + <usize>i * <usize>ld * sizeof<T>();
}
