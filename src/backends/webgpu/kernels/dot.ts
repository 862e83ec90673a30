// dot(A, B) = Σ A_ij B_ij accumulated in float64 as the contract asks, for float32 and float64
// operands in any pairing, in the emulated float64 of f64.ts: each product rounded once (exact for
// two float32), each addition rounded once, as the Wasm kernels do. The sums run in another order
// than theirs (per invocation, then a tree per workgroup, then a tree over the workgroups'
// partials), so the result agrees with theirs to float64 rounding, not bit for bit. A NaN or ±Inf
// operand raises a flag, and a sum that overflows comes back as ±Inf or NaN; in both cases the
// backend runs the call on the host, whose order of summation then decides.
import { type Program } from '../program.js';
import { F64 } from './f64.js';

/** Workgroups of the first pass at most (each reduces a grid-strided share of the elements). */
export const DOT_GROUPS = 1024;

/** WGSL: the workgroup tree over F64 values. */
const TREE = `
${F64}
fn pack(x: F64) -> vec4u { return vec4u(bitcast<u32>(x.e), x.hi, x.lo, x.neg | (x.kind << 1u)); }
fn unpack(v: vec4u) -> F64 { return F64(bitcast<i32>(v.x), v.y, v.z, v.w & 1u, v.w >> 1u); }
var<workgroup> tree: array<vec4u, 256>;
// The sum of every lane's x (lane 0's result; all lanes must call it).
fn workgroupSum(x: F64, lane: u32) -> F64 {
  tree[lane] = pack(x);
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lane < s) { tree[lane] = pack(add(unpack(tree[lane]), unpack(tree[lane + s]))); }
    workgroupBarrier();
  }
  return unpack(tree[0]);
}`;

/**
 * First pass: workgroup g of G sums the products at t = g·256 + lane + k·256·G into
 * partials[pOff + g] (an F64, packed); bad[0] := 1 where an operand is NaN or ±Inf. aWords and bWords: 1 for a
 * float32 operand, 2 for a float64 one (offsets and strides count elements).
 */
export const DOT_PARTIAL: Program = {
  name: 'dot-partial',
  code: `
struct Params { rows: u32, cols: u32, aOff: u32, aLd: u32, bOff: u32, bLd: u32, groups: u32, aWords: u32, bWords: u32, pOff: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<u32>;
@group(0) @binding(2) var<storage, read> B: array<u32>;
@group(0) @binding(3) var<storage, read_write> partials: array<vec4u>;
@group(0) @binding(4) var<storage, read_write> bad: atomic<u32>;
${TREE}
// An element given by its words (w0 for float32, w1 then unused; low, high for float64), exactly;
// kind 2 flags NaN or ±Inf.
fn element(words: u32, w0: u32, w1: u32) -> F64 {
  var v: F64;
  if (words == 1u) { v = from32(w0); } else { v = unpack64(w0, w1); }
  if (v.kind != 0u) { return f64NaN(); }
  return v;
}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = P.rows * P.cols;
  var acc = f64Zero(0u);
  for (var t = wid.x * 256u + lid.x; t < n; t += 256u * P.groups) {
    let i = t / P.cols;
    let j = t - i * P.cols;
    let ka = P.aOff + i * P.aLd + j;
    let kb = P.bOff + i * P.bLd + j;
    if (P.aWords == 1u && P.bWords == 1u) {
      let a = A[ka];
      let b = B[kb];
      if (((a >> 23u) & 255u) == 255u || ((b >> 23u) & 255u) == 255u) { atomicStore(&bad, 1u); }
      else { acc = add(acc, product32(a, b)); }
    } else {
      let x = element(P.aWords, A[P.aWords * ka], A[P.aWords * ka + P.aWords - 1u]);
      let y = element(P.bWords, B[P.bWords * kb], B[P.bWords * kb + P.bWords - 1u]);
      if (x.kind != 0u || y.kind != 0u) { atomicStore(&bad, 1u); }
      else { acc = add(acc, mul(x, y)); }
    }
  }
  let sum = workgroupSum(acc, lid.x);
  if (lid.x == 0u) { partials[P.pOff + wid.x] = pack(sum); }
}`,
};

/** Second pass, one workgroup: out[0], out[1] := the float64 bits of the sum of `count` partials. */
export const DOT_FINAL: Program = {
  name: 'dot-final',
  code: `
struct Params { count: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> partials: array<vec4u>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
${TREE}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var acc = f64Zero(0u);
  for (var g = lid.x; g < P.count; g += 256u) { acc = add(acc, unpack(partials[g])); }
  let sum = workgroupSum(acc, lid.x);
  if (lid.x == 0u) {
    let b = bits64(sum);
    out[0] = b.x;
    out[1] = b.y;
  }
}`,
};
