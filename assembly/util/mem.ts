// Element access over raw pointers into the shared linear memory.
// Every matrix is row-major: element (i, j) of a matrix at `p` with leading
// dimension `ld` lives at p + (i * ld + j) * sizeof<T>().

/** Address of element `i` of an array of T starting at `p`. */
@inline export function at<T>(p: usize, i: isize): usize {
  return p + (<usize>i << alignof<T>());
}

/** Load element `i` of an array of T at `p`. */
@inline export function ld<T>(p: usize, i: isize): T {
  return load<T>(p + (<usize>i << alignof<T>()));
}

/** Store `v` as element `i` of an array of T at `p`. */
@inline export function st<T>(p: usize, i: isize, v: T): void {
  store<T>(p + (<usize>i << alignof<T>()), v);
}

/** Number of T lanes in one v128. */
@inline export function lanes<T>(): i32 {
  return 16 / sizeof<T>();
}

/**
 * a * b + c lane-wise. In the relaxed-SIMD build this is one (possibly fused) multiply-add,
 * otherwise a multiply then an add; results may differ in the last bit between the two.
 */
// @ts-ignore: decorator
@inline export function madd<T>(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return v128.relaxed_madd<T>(a, b, c);
  } else {
    return v128.add<T>(c, v128.mul<T>(a, b));
  }
}
