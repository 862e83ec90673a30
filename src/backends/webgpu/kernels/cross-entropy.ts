// crossEntropy for float32 logits in WGSL, the device's share of it: one workgroup per row finds
// the row's largest logit m (exactly) and s = Σ_j exp(L[t, j] − m) in two-float arithmetic
// (df32.ts: each difference exact, exp to about 2^-46, the sum in a tree), and gathers the
// target's logit. The host then adds m + log s − L[t, y_t] over the rows in float64, from four
// words a row instead of the whole row of logits. A target out of range comes back as its row
// (the complement of the first, atomicMax); a logit that is NaN or ±Inf as a flag, and the
// backend then runs the call on the host, whose float64 rules those values follow.
import { type Program } from '../program.js';
import { DF32 } from './df32.js';

/** out[4t…4t+3] := bits of m, s (hi, lo) and L[t, y_t]; R[0]: ~first bad target row; R[1]: 1 for a non-finite logit. */
export const CROSS_ENTROPY: Program = {
  name: 'cross-entropy',
  code: `
struct Params { rows: u32, cols: u32, lOff: u32, lLd: u32, tOff: u32, tInc: u32, zero: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> L: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@group(0) @binding(4) var<storage, read_write> R: array<atomic<u32>, 2>;
${DF32}
const WG = 256u;
var<workgroup> big: array<f32, 256>;
var<workgroup> sum: array<vec2f, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ds_zero = P.zero;
  let t = wid.x + wid.y * nwg.x;
  if (t >= P.rows) { return; }
  let l = lid.x;
  let row = P.lOff + t * P.lLd;
  var m = ds_neg_inf();
  var bad = false;
  for (var j = l; j < P.cols; j += WG) {
    let v = L[row + j];
    if (!ds_finite(v)) { bad = true; }
    m = max(m, v);
  }
  if (bad) { atomicStore(&R[1], 1u); }
  big[l] = m;
  workgroupBarrier();
  for (var span = WG / 2u; span > 0u; span = span >> 1u) {
    if (l < span) { big[l] = max(big[l], big[l + span]); }
    workgroupBarrier();
  }
  let top = big[0];
  var s = vec2f(0.0, 0.0);
  for (var j = l; j < P.cols; j += WG) { s = ds_add(s, ds_exp(ds_two_sum(L[row + j], -top))); }
  sum[l] = s;
  workgroupBarrier();
  for (var span = WG / 2u; span > 0u; span = span >> 1u) {
    if (l < span) { sum[l] = ds_add(sum[l], sum[l + span]); }
    workgroupBarrier();
  }
  if (l == 0u) {
    let y = T[P.tOff + t * P.tInc];
    var yl = 0.0;
    if (y < 0 || u32(y) >= P.cols) { atomicMax(&R[0], ~t); } else { yl = L[row + u32(y)]; }
    out[4u * t] = bitcast<u32>(top);
    out[4u * t + 1u] = bitcast<u32>(sum[0].x);
    out[4u * t + 2u] = bitcast<u32>(sum[0].y);
    out[4u * t + 3u] = bitcast<u32>(yl);
  }
}`,
};
