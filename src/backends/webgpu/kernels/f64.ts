// float64 arithmetic in WGSL, which has no f64: values are unpacked into a sign, an exponent and a
// 64-bit significand (two words) whose top bit is set, and every operation rounds its exact
// result to 53 bits, to nearest, ties to even, as IEEE float64 does. The bits an alignment or a
// product shifts out are jammed into the lowest bit, 11 bits below the rounding position, which
// is enough for the rounding to be the correct one. Rounding takes the exponent into account:
// below 2^-1022 it rounds at the subnormal position (gradual underflow, no double rounding), and
// above float64's largest value it gives ±Inf. NaN and ±Inf follow IEEE's rules (a NaN result is
// the quiet NaN 0x7ff8…; no payload is kept).
//
// WGSL's shifts by 32 or more are taken modulo 32, so the 64-bit shifts below avoid them.

/** Float64 as two u32 words (low, high), for a Params uniform. */
export function float64Words(x: number): [number, number] {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x, true);
  return [v.getUint32(0, true), v.getUint32(4, true)];
}

/** WGSL: struct F64, unpack64 / bits64 / bits32 (IEEE bits), from32, product of float32, mul, add, recip, div and sqrt64. */
export const F64 = `
// kind 0: (-1)^neg · (hi · 2^32 + lo) · 2^e with hi >= 2^31, or zero (hi = lo = 0);
// kind 1: (-1)^neg · Inf; kind 2: NaN.
struct F64 { e: i32, hi: u32, lo: u32, neg: u32, kind: u32 }
fn f64Zero(neg: u32) -> F64 { return F64(0, 0u, 0u, neg, 0u); }
fn f64Inf(neg: u32) -> F64 { return F64(0, 0u, 0u, neg, 1u); }
fn f64NaN() -> F64 { return F64(0, 0u, 0u, 0u, 2u); }
fn isZero(x: F64) -> bool { return x.kind == 0u && x.hi == 0u && x.lo == 0u; }
fn negated(x: F64) -> F64 { return F64(x.e, x.hi, x.lo, x.neg ^ 1u, x.kind); }
fn clz64(h: u32, l: u32) -> u32 { return select(countLeadingZeros(h), 32u + countLeadingZeros(l), h == 0u); }
// (h:l) << s, 0 <= s < 64.
fn shl64(h: u32, l: u32, s: u32) -> vec2u {
  if (s == 0u) { return vec2u(h, l); }
  if (s < 32u) { return vec2u((h << s) | (l >> (32u - s)), l << s); }
  return vec2u(l << (s - 32u), 0u);
}
// (h:l) >> d, with every bit shifted out jammed into the lowest bit.
fn shr64Jam(h: u32, l: u32, d: u32) -> vec2u {
  if (d == 0u) { return vec2u(h, l); }
  if (d >= 64u) { return vec2u(0u, select(0u, 1u, (h | l) != 0u)); }
  var nh = 0u; var nl: u32; var lost: u32;
  if (d < 32u) {
    nh = h >> d; nl = (l >> d) | (h << (32u - d)); lost = l << (32u - d);
  } else if (d == 32u) {
    nl = h; lost = l;
  } else {
    nl = h >> (d - 32u); lost = l | (h << (64u - d));
  }
  return vec2u(nh, nl | select(0u, 1u, lost != 0u));
}
// A nonzero (h:l) · 2^e made normal (top bit set).
fn normalised(e: i32, h: u32, l: u32, neg: u32) -> F64 {
  let s = clz64(h, l);
  let m = shl64(h, l, s);
  return F64(e - i32(s), m.x, m.y, neg, 0u);
}
// x (normal, kind 0, its low bits jammed) rounded to float64: 53 bits where x >= 2^-1022, fewer
// below (the subnormal grid of 2^-1074), ±Inf beyond the largest float64.
fn round53(x: F64) -> F64 {
  if (isZero(x)) { return x; }
  var e = x.e;
  var h = x.hi; var l = x.lo;
  // Unbiased exponent e + 63; below -1022 the grid is 2^-1074: shift to it first.
  let below = -1022 - (e + 63);
  if (below > 0) {
    let m = shr64Jam(h, l, u32(below));
    h = m.x; l = m.y; e += below;
  }
  let rest = l & 0x7ffu;
  l = l & ~0x7ffu;
  if (rest > 0x400u || (rest == 0x400u && (l & 0x800u) != 0u)) {
    l += 0x800u;
    if (l == 0u) {
      h += 1u;
      if (h == 0u) { h = 0x80000000u; e += 1; }
    }
  }
  if (h == 0u && l == 0u) { return f64Zero(x.neg); }
  if (e + 63 > 1023) { return f64Inf(x.neg); }
  if (below > 0) { return normalised(e, h, l, x.neg); }
  return F64(e, h, l, x.neg, 0u);
}
// The value of IEEE float64 bits (low word, high word).
fn unpack64(lo: u32, hi: u32) -> F64 {
  let neg = hi >> 31u;
  let f = (hi >> 20u) & 0x7ffu;
  let mh = hi & 0xfffffu;
  if (f == 0x7ffu) {
    if ((mh | lo) != 0u) { return f64NaN(); }
    return f64Inf(neg);
  }
  if (f == 0u) {
    if ((mh | lo) == 0u) { return f64Zero(neg); }
    return normalised(-1074, mh, lo, neg);
  }
  let m = shl64(mh | 0x100000u, lo, 11u);
  return F64(i32(f) - 1023 - 63, m.x, m.y, neg, 0u);
}
// The IEEE float64 bits (low word, high word) of x, a value round53 gave.
fn bits64(x: F64) -> vec2u {
  let sign = x.neg << 31u;
  if (x.kind == 2u) { return vec2u(0u, 0x7ff80000u); }
  if (x.kind == 1u) { return vec2u(0u, sign | 0x7ff00000u); }
  if (isZero(x)) { return vec2u(0u, sign); }
  let exp = x.e + 63;
  if (exp < -1022) {
    // Subnormal: the significand counts units of 2^-1074 (exact: round53 put it on that grid).
    let m = shr64Jam(x.hi, x.lo, u32(-1074 - x.e));
    return vec2u(m.y, sign | m.x);
  }
  let hi = sign | (u32(exp + 1023) << 20u) | ((x.hi >> 11u) & 0xfffffu);
  let lo = ((x.hi & 0x7ffu) << 21u) | (x.lo >> 11u);
  return vec2u(lo, hi);
}
// The exact product of two finite float32 (given by their bits; at most 48 bits, so no rounding).
fn product32(ab: u32, bb: u32) -> F64 {
  let fa = (ab >> 23u) & 255u; let fb = (bb >> 23u) & 255u;
  let ma = select((ab & 0x7fffffu) | 0x800000u, ab & 0x7fffffu, fa == 0u);
  let mb = select((bb & 0x7fffffu) | 0x800000u, bb & 0x7fffffu, fb == 0u);
  let neg = (ab ^ bb) >> 31u;
  if (ma == 0u || mb == 0u) { return f64Zero(neg); }
  let ea = select(i32(fa) - 150, -149, fa == 0u);
  let eb = select(i32(fb) - 150, -149, fb == 0u);
  // 24 x 24 bits in 16-bit halves.
  let al = ma & 0xffffu; let ah = ma >> 16u;
  let bl = mb & 0xffffu; let bh = mb >> 16u;
  let ll = al * bl;
  let mid = ah * bl + al * bh;            // < 2^25
  let lo = ll + (mid << 16u);
  let hi = ah * bh + (mid >> 16u) + select(0u, 1u, lo < ll);
  return normalised(ea + eb, hi, lo, neg);
}
// The 64-bit product of two words: vec2u(high word, low word).
fn mul32(a: u32, b: u32) -> vec2u {
  let a0 = a & 0xffffu; let a1 = a >> 16u;
  let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0;
  let mid = p01 + p10;
  let lo = p00 + (mid << 16u);
  let hi = a1 * b1 + (mid >> 16u) + select(0u, 0x10000u, mid < p01) + select(0u, 1u, lo < p00);
  return vec2u(hi, lo);
}
// x · y rounded to float64.
fn mul(x: F64, y: F64) -> F64 {
  let neg = x.neg ^ y.neg;
  if (x.kind == 2u || y.kind == 2u) { return f64NaN(); }
  if (x.kind == 1u || y.kind == 1u) {
    if (isZero(x) || isZero(y)) { return f64NaN(); }
    return f64Inf(neg);
  }
  if (isZero(x) || isZero(y)) { return f64Zero(neg); }
  // 64 x 64 bits as four 32 x 32-bit products, summed into words w3 … w0 with their carries.
  let ll = mul32(x.lo, y.lo); let lh = mul32(x.lo, y.hi);
  let hl = mul32(x.hi, y.lo); let hh = mul32(x.hi, y.hi);
  let w0 = ll.y;
  var w1 = ll.x + lh.y;
  var c1 = select(0u, 1u, w1 < lh.y);
  w1 += hl.y;
  c1 += select(0u, 1u, w1 < hl.y);
  var w2 = hh.y + c1;
  var c2 = select(0u, 1u, w2 < c1);
  w2 += lh.x;
  c2 += select(0u, 1u, w2 < lh.x);
  w2 += hl.x;
  c2 += select(0u, 1u, w2 < hl.x);
  let w3 = hh.x + c2;
  // The product lies in [2^126, 2^128): keep its top 64 bits, the rest jammed.
  var e = x.e + y.e + 64;
  var h = w3; var l = w2; var lost = w1 | w0;
  if ((w3 >> 31u) == 0u) {
    h = (w3 << 1u) | (w2 >> 31u); l = (w2 << 1u) | (w1 >> 31u); lost = (w1 << 1u) | w0; e -= 1;
  }
  return round53(F64(e, h, l | select(0u, 1u, lost != 0u), neg, 0u));
}
// |x| >= |y| (finite; normal or zero).
fn notSmaller(x: F64, y: F64) -> bool {
  if (isZero(y)) { return true; }
  if (isZero(x)) { return false; }
  if (x.e != y.e) { return x.e > y.e; }
  return x.hi > y.hi || (x.hi == y.hi && x.lo >= y.lo);
}
// x + y rounded to float64.
fn add(p: F64, q: F64) -> F64 {
  if (p.kind == 2u || q.kind == 2u) { return f64NaN(); }
  if (p.kind == 1u || q.kind == 1u) {
    if (p.kind == 1u && q.kind == 1u && p.neg != q.neg) { return f64NaN(); }
    if (p.kind == 1u) { return p; }
    return q;
  }
  if (isZero(p) && isZero(q)) { return f64Zero(p.neg & q.neg); }
  if (isZero(q)) { return p; }
  if (isZero(p)) { return q; }
  var x = p; var y = q;
  if (!notSmaller(p, q)) { x = q; y = p; }
  let ys = shr64Jam(y.hi, y.lo, u32(x.e - y.e));
  // One path for both signs (a single rounding below): the sum with its carry out, or the
  // difference normalised.
  var r: F64;
  if (x.neg == y.neg) {
    let l = x.lo + ys.y;
    let c0 = select(0u, 1u, l < x.lo);
    let h = x.hi + ys.x + c0;
    let carry = h < x.hi || (h == x.hi && c0 == 1u);
    // On a carry out, the 65-bit sum shifted right once, its lowest bit jammed.
    r = F64(x.e, h, l, x.neg, 0u);
    if (carry) { r = F64(x.e + 1, 0x80000000u | (h >> 1u), (l >> 1u) | (h << 31u) | (l & 1u), x.neg, 0u); }
  } else {
    let borrow = select(0u, 1u, x.lo < ys.y);
    let l = x.lo - ys.y;
    let h = x.hi - ys.x - borrow;
    if (h == 0u && l == 0u) { return f64Zero(0u); }
    r = normalised(x.e, h, l, x.neg);
  }
  return round53(r);
}
// The value of float32 bits, exactly (NaN and ±Inf included).
fn from32(b: u32) -> F64 {
  let neg = b >> 31u;
  let f = (b >> 23u) & 255u;
  if (f == 255u) {
    if ((b & 0x7fffffu) != 0u) { return f64NaN(); }
    return f64Inf(neg);
  }
  return product32(b, 0x3f800000u);
}
// 64 quotient bits of R / M by restoring division, R = top · 2^64 + (rh:rl) < 2M, M = m's
// significand (top bit set), and whether a remainder is left: vec3u(qh, ql, sticky).
fn quotient64(top0: u32, rh0: u32, rl0: u32, m: F64) -> vec3u {
  // R < 2M fits 65 bits: (top, rh, rl).
  var top = top0; var rh = rh0; var rl = rl0;
  var qh = 0u; var ql = 0u;
  for (var k = 0u; k < 64u; k++) {
    let ge = top == 1u || rh > m.hi || (rh == m.hi && rl >= m.lo);
    qh = (qh << 1u) | (ql >> 31u);
    ql = ql << 1u;
    if (ge) {
      let borrow = select(0u, 1u, rl < m.lo);
      rl = rl - m.lo;
      rh = rh - m.hi - borrow;
      ql = ql | 1u;
    }
    top = rh >> 31u;
    rh = (rh << 1u) | (rl >> 31u);
    rl = rl << 1u;
  }
  return vec3u(qh, ql, select(0u, 1u, (top | rh | rl) != 0u));
}
// 1 / x rounded to float64: the quotient of 2^127 by the significand, the remainder jammed.
fn recip(x: F64) -> F64 {
  if (x.kind == 2u) { return f64NaN(); }
  if (x.kind == 1u) { return f64Zero(x.neg); }
  if (isZero(x)) { return f64Inf(x.neg); }
  if (x.hi == 0x80000000u && x.lo == 0u) { return round53(F64(-126 - x.e, 0x80000000u, 0u, x.neg, 0u)); }
  let q = quotient64(1u, 0u, 0u, x);   // R = 2^64
  return round53(F64(-127 - x.e, q.x, q.y | q.z, x.neg, 0u));
}
// x / y rounded to float64: the quotient of the significands (from R = X instead of 2^64), the
// remainder jammed.
fn div(x: F64, y: F64) -> F64 {
  let neg = x.neg ^ y.neg;
  if (x.kind == 2u || y.kind == 2u || (x.kind == 1u && y.kind == 1u) || (isZero(x) && isZero(y))) { return f64NaN(); }
  if (x.kind == 1u || isZero(y)) { return f64Inf(neg); }
  if (y.kind == 1u || isZero(x)) { return f64Zero(neg); }
  // Q = floor(X · 2^63 / Y) >= 2^62: the value is Q · 2^(ex − ey − 63).
  let q = quotient64(0u, x.hi, x.lo, y);
  return round53(normalised(x.e - y.e - 63, q.x, q.y | q.z, neg));
}
// √x rounded to float64 (√−0 = −0; NaN below zero). With x = M · 2^E, N = M · 2^(63 + t) has
// 127 or 128 bits for the t ∈ {0, 1} that makes E − 63 − t even, and its integer square root, by
// the restoring method two bits a step, is the 64-bit significand; a remainder is jammed.
fn sqrt64(x: F64) -> F64 {
  if (x.kind == 2u || (x.neg == 1u && !isZero(x))) { return f64NaN(); }
  if (x.kind == 1u || isZero(x)) { return x; }
  let t = u32((x.e - 63) & 1);
  // N's words, highest first.
  var n = array<u32, 4>(x.hi, x.lo, 0u, 0u);
  if (t == 0u) { n = array<u32, 4>(x.hi >> 1u, (x.hi << 31u) | (x.lo >> 1u), (x.lo & 1u) << 31u, 0u); }
  // Remainder r (3 words, < 2^67) and root q (2 words).
  var r2 = 0u; var r1 = 0u; var r0 = 0u;
  var qh = 0u; var ql = 0u;
  for (var s = 0u; s < 64u; s++) {
    let pair = (n[s / 16u] >> (30u - 2u * (s % 16u))) & 3u;
    // r = 4r + pair; d = 4q + 1.
    r2 = (r2 << 2u) | (r1 >> 30u); r1 = (r1 << 2u) | (r0 >> 30u); r0 = (r0 << 2u) | pair;
    let d2 = qh >> 30u; let d1 = (qh << 2u) | (ql >> 30u); let d0 = (ql << 2u) | 1u;
    let ge = r2 > d2 || (r2 == d2 && (r1 > d1 || (r1 == d1 && r0 >= d0)));
    qh = (qh << 1u) | (ql >> 31u);
    ql = ql << 1u;
    if (ge) {
      let b0 = select(0u, 1u, r0 < d0);
      r0 = r0 - d0;
      let b1 = select(0u, 1u, r1 < d1 || (r1 == d1 && b0 == 1u));
      r1 = r1 - d1 - b0;
      r2 = r2 - d2 - b1;
      ql = ql | 1u;
    }
  }
  let sticky = select(0u, 1u, (r2 | r1 | r0) != 0u);
  return round53(F64((x.e - 63 - i32(t)) / 2, qh, ql | sticky, 0u, 0u));
}
// The float32 bits of x rounded to nearest, ties to even (subnormals, overflow to ±Inf).
fn bits32(x: F64) -> u32 {
  let sign = x.neg << 31u;
  if (x.kind == 2u) { return 0x7fc00000u; }
  if (x.kind == 1u || (!isZero(x) && x.e + 63 > 127)) { return sign | 0x7f800000u; }
  if (isZero(x)) { return sign; }
  var exp = x.e + 63;
  var h = x.hi; var l = x.lo;
  if (exp < -126) {
    let m = shr64Jam(h, l, u32(-126 - exp));
    h = m.x; l = m.y; exp = -126;
  }
  // 24 bits kept (h's top 24), then the guard bit and the sticky rest.
  var keep = h >> 8u;
  let guard = (h >> 7u) & 1u;
  let sticky = (h & 0x7fu) | l;
  if (guard == 1u && (sticky != 0u || (keep & 1u) == 1u)) { keep += 1u; }
  // keep < 2^23 only below 2^-126 (exp = -126): then the exponent field is 0 and the sum below
  // is the subnormal's bits; a carry to 2^24 moves into the exponent field by itself.
  let field = u32(exp + 126) << 23u;
  if (exp + 127 + i32(keep >> 24u) >= 255) { return sign | 0x7f800000u; }
  return sign | (field + keep);
}`;

/** WGSL (after F64): exact products of float32 (prod) and the order of float64 values (lessEq, less, positive). */
export const F64_ORDER = `
// a · b exactly (IEEE's rules for NaN and ±Inf).
fn prod(a: f32, b: f32) -> F64 {
  let ab = bitcast<u32>(a);
  let bb = bitcast<u32>(b);
  if ((ab & 0x7f800000u) == 0x7f800000u || (bb & 0x7f800000u) == 0x7f800000u) { return mul(from32(ab), from32(bb)); }
  return product32(ab, bb);
}
// Order of non-NaN values through their bits (−0 = +0); false when either is NaN.
fn key64(x: F64) -> vec2u {
  let b = bits64(x);
  if ((b.y >> 31u) == 1u) { return vec2u(~b.x, ~b.y); }
  return vec2u(b.x, b.y | 0x80000000u);
}
fn lessEq(a: F64, b: F64) -> bool {
  if (a.kind == 2u || b.kind == 2u) { return false; }
  if (isZero(a) && isZero(b)) { return true; }
  let ka = key64(a);
  let kb = key64(b);
  return ka.y < kb.y || (ka.y == kb.y && ka.x <= kb.x);
}
fn less(a: F64, b: F64) -> bool {
  if (a.kind == 2u || b.kind == 2u || (isZero(a) && isZero(b))) { return false; }
  let ka = key64(a);
  let kb = key64(b);
  return ka.y < kb.y || (ka.y == kb.y && ka.x < kb.x);
}
fn positive(x: F64) -> bool { return x.kind != 2u && x.neg == 0u && !isZero(x); }
`;

/**
 * WGSL (after F64): f64WorkgroupSum(s, l), the sum of every invocation's s over a workgroup of 256
 * (a tree in workgroup memory; call it from all invocations, in uniform control flow).
 */
export const F64_WORKGROUP_SUM = `
var<workgroup> f64Red: array<vec2u, 256>;
fn f64WorkgroupSum(s: F64, l: u32) -> F64 {
  workgroupBarrier();
  f64Red[l] = bits64(s);
  workgroupBarrier();
  for (var span = 128u; span > 0u; span = span >> 1u) {
    if (l < span) {
      let a = f64Red[l];
      let b = f64Red[l + span];
      f64Red[l] = bits64(add(unpack64(a.x, a.y), unpack64(b.x, b.y)));
    }
    workgroupBarrier();
  }
  let r = f64Red[0];
  return unpack64(r.x, r.y);
}
`;
