// Two-float ("double-float") arithmetic in WGSL, for the kernels whose contract is float64 (WGSL
// has no f64): a value is a vec2f (hi, lo) with hi + lo its value and hi = fl(hi + lo), about 48
// significant bits. What it relies on and what it does not:
// - WGSL's f32 +, − and × are correctly rounded; its division (2.5 ulp), sqrt and exp are not, so
//   quotients are corrected by exact residuals and exp is computed here.
// - fma may not be fused, so exact products use Dekker's split (the halves' products are exact
//   whether or not a compiler fuses them).
// - A compiler may reassociate floats and contract a product and a sum into one fma; either
//   cancels the error terms. Deno's WebGPU on Mesa's lavapipe did, even through a product by a
//   uniform 1.0 (the trick gemm's compensated syrk uses). So every rounded intermediate of the
//   error-free transforms goes through ds_fix, an xor of its bits with ds_zero, a 0 from the
//   program's Params that no float rewrite can see through; each program sets ds_zero first.
// - Constants are written as bits (see literal): a decimal literal or a constant operand may be
//   evaluated by the shader compiler at another precision.
// - Denormals may be flushed to zero (WGSL allows it): ds_to_f32 builds results below 2^-126
//   from their bits.

/** Splits a float64 into two float32s whose sum is it to about 48 bits (for uniforms). */
export function splitDouble(v: number): [number, number] {
  const hi = Math.fround(v);
  return [hi, Math.fround(v - hi)];
}

/** A float32 as WGSL: its bits, bitcast (exact wherever the shader is compiled). */
function literal(v: number): string {
  const bits = new Uint32Array(Float32Array.of(v).buffer)[0];
  return `bitcast<f32>(0x${bits.toString(16).padStart(8, '0')}u)`;
}

/** ln 2 in three float32 parts: the first has 16 significant bits, so k · it is exact for |k| < 256. */
const LN2 = [0.693145751953125, Math.fround(Math.LN2 - 0.693145751953125), Math.fround(Math.LN2 - 0.693145751953125 - Math.fround(Math.LN2 - 0.693145751953125))].map(literal);

/** 1/n! for n = 0…13 as (hi, lo) literals: the Taylor coefficients of exp. */
const COEF = Array.from({ length: 14 }, (_, n) => {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return splitDouble(1 / f).map(literal);
});

/** The WGSL functions (prefix ds_); the program's Params hold `zero: u32` = 0 and main starts with `ds_zero = P.zero;`. */
export const DF32 = `
// 0u, set by the program at its start from its Params' zero (a value the compiler cannot know).
var<private> ds_zero: u32;
// Special values from bits held in variables: a constant infinity or NaN does not compile.
var<private> ds_bits: vec3u = vec3u(0x7f800000u, 0xff800000u, 0x7fc00000u);
fn ds_inf() -> f32 { return bitcast<f32>(ds_bits.x); }
fn ds_neg_inf() -> f32 { return bitcast<f32>(ds_bits.y); }
fn ds_qnan() -> f32 { return bitcast<f32>(ds_bits.z); }
fn ds_fix(x: f32) -> f32 {
  // x, but through an integer xor with a zero the compiler cannot know: no float identity
  // (a + b − a = b) and no fma contraction reaches across it, so x is rounded where it stands.
  return bitcast<f32>(bitcast<u32>(x) ^ ds_zero);
}
fn ds_quick(a: f32, b: f32) -> vec2f {
  let s = ds_fix(a + b);
  return vec2f(s, b - ds_fix(s - a));
}
fn ds_two_sum(a: f32, b: f32) -> vec2f {
  let s = ds_fix(a + b);
  let bp = ds_fix(s - a);
  return vec2f(s, (a - ds_fix(s - bp)) + (b - bp));
}
fn ds_split(a: f32) -> vec2f {
  let c = ds_fix(a * 4097.0);
  let hi = ds_fix(c - ds_fix(c - a));
  return vec2f(hi, a - hi);
}
fn ds_two_prod(a: f32, b: f32) -> vec2f {
  let p = ds_fix(a * b);
  let x = ds_split(a);
  let y = ds_split(b);
  return vec2f(p, ds_fix(ds_fix(x.x * y.x - p) + x.x * y.y + x.y * y.x) + x.y * y.y);
}
fn ds_add(x: vec2f, y: vec2f) -> vec2f {
  let s = ds_two_sum(x.x, y.x);
  let t = ds_two_sum(x.y, y.y);
  let u = ds_quick(s.x, s.y + t.x);
  return ds_quick(u.x, u.y + t.y);
}
fn ds_mul(x: vec2f, y: vec2f) -> vec2f {
  let p = ds_two_prod(x.x, y.x);
  return ds_quick(p.x, p.y + (x.x * y.y + x.y * y.x));
}
fn ds_mulf(x: vec2f, b: f32) -> vec2f {
  let p = ds_two_prod(x.x, b);
  return ds_quick(p.x, p.y + x.y * b);
}
fn ds_div(x: vec2f, y: vec2f) -> vec2f {
  // Three quotient digits, each from an exact residual (WGSL's division is only near).
  let q1 = x.x / y.x;
  let r1 = ds_add(x, -ds_mulf(y, q1));
  let q2 = r1.x / y.x;
  let r2 = ds_add(r1, -ds_mulf(y, q2));
  let q3 = r2.x / y.x;
  return ds_add(ds_quick(q1, q2), vec2f(q3, 0.0));
}
// a / b in float32, to about the last bit (WGSL's own division is good to 2.5 ulp only).
fn ds_quot(a: f32, b: f32) -> f32 { return ds_div(vec2f(a, 0.0), vec2f(b, 0.0)).x; }
// 1 / √d as the Wasm kernels take it: the root rounded to float32, then its reciprocal.
fn ds_inv_root(d: f32) -> f32 { return ds_quot(1.0, ds_sqrt(vec2f(d, 0.0)).x); }
fn ds_sqrt(x: vec2f) -> vec2f {
  // One Newton step from the f32 root: s + (x − s²) / 2s.
  if (x.x <= 0.0) { return vec2f(sqrt(x.x), 0.0); }
  let s = sqrt(x.x);
  let r = ds_add(x, -ds_two_prod(s, s));
  return ds_add(vec2f(s, 0.0), ds_div(r, vec2f(2.0 * s, 0.0)));
}
struct ds_scaled { t: vec2f, k: i32 }
fn ds_exp_parts(x: vec2f) -> ds_scaled {
  // exp(x) = t · 2^k: x = k ln2 + r, |r| <= ln2 / 2, with ln2 in three parts (k · L1 is exact
  // for |k| < 256), and t = exp(r) by its Taylor series to r^13 / 13! (below 2^-50 here). The
  // caller scales by 2^k (ds_exp, ds_to_f32), so that results below 2^-126 are not lost.
  if (x.x < -110.0) { return ds_scaled(vec2f(0.0, 0.0), 0); }
  if (x.x > 89.0) { return ds_scaled(vec2f(ds_inf(), 0.0), 0); }
  let k = round(x.x * 1.4426950408889634);
  let r0 = ds_add(x, vec2f(-k * ${LN2[0]}, 0.0));
  let r = ds_add(ds_add(r0, ds_two_prod(-k, ${LN2[1]})), ds_two_prod(-k, ${LN2[2]}));
  // The terms from r^5 on are below 2^-16 of the sum: their sum in float32 errs below 2^-35.
  var p = ${COEF[13][0]};
${COEF.slice(5, 13).reverse().map((c) => `  p = p * r.x + ${c[0]};`).join('\n')}
  var t = vec2f(p, 0.0);
${COEF.slice(0, 5).reverse().map((c) => `  t = ds_add(ds_mul(t, r), vec2f(${c[0]}, ${c[1]}));`).join('\n')}
  return ds_scaled(t, i32(k));
}
fn ds_exp(x: vec2f) -> vec2f {
  let e = ds_exp_parts(x);
  return vec2f(ldexp(e.t.x, e.k), ldexp(e.t.y, e.k));
}
/** The float32 nearest q · 2^k, subnormals built from their bits (ldexp may flush them to 0). */
fn ds_to_f32(q: vec2f, k: i32) -> f32 {
  let a = abs(q.x);
  if (a == 0.0 || !ds_finite(a)) { return q.x; }
  let e = i32((bitcast<u32>(a) >> 23u) & 0xffu) - 127 + k; // the result's binary exponent
  if (e >= -126) { return ldexp(q.x, k); }
  if (e < -150) { return 0.0 * q.x; }
  // a · 2^(k + 149) is the subnormal's integer significand (below 2^23), rounded to nearest.
  let m = ldexp(a, k + 149);
  var n = floor(m);
  let f = (m - n) + sign(q.x) * ldexp(q.y, k + 149);
  if (f > 0.5 || (f == 0.5 && (u32(n) & 1u) == 1u)) { n = n + 1.0; }
  let bits = u32(n) | select(0u, 0x80000000u, q.x < 0.0);
  return bitcast<f32>(bits);
}
fn ds_finite(a: f32) -> bool {
  return (bitcast<u32>(a) & 0x7f800000u) != 0x7f800000u;
}
fn ds_nan(a: f32) -> bool {
  let b = bitcast<u32>(a);
  return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}`;
