// λ_max of a symmetric PSD float32 A by power iteration in WGSL (KernelBackend.lammax), the same
// iteration and stopping rule as the Wasm kernel: w = A v (float32), rq = v·w and ww = ‖w‖² in
// the emulated float64 (exact products, each sum rounded once, the workgroup's shares added in a
// tree), v := w / √ww, stopped when |rq − prev| ≤ tol·|rq| after the first product, when ww is
// 0 (value 0, converged), when rq or ww is not finite (unconverged), or after maxIter products.
// 1/√ww is taken in two floats (about 2^-46), each v_i = w_i · it rounded once to float32. A ww
// outside 2^±100 (beyond the two floats' range) raises a flag and the backend runs the call on
// the host. The state (u32 words): done, iterations, converged, host flag, value (2), prev (2).
// Both programs do nothing once done is set, so the backend records many iterations at a time.
import { DF32 } from './df32.js';
import { elementwise } from './elementwise.js';
import { F64, F64_ORDER, F64_WORKGROUP_SUM } from './f64.js';
import { type Program } from '../program.js';

/** w_i := Σ_j A[i, j] v_j (float32) while the iteration runs; pass rows = n, cols = 1. */
export const LAMMAX_GEMV = elementwise('lammax-gemv', 'aOff: u32, aLd: u32',
  `@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> S: array<u32>;
@group(0) @binding(4) var<storage, read_write> w: array<f32>;`,
  `if (S[0] != 0u) { return; }
  let row = P.aOff + i * P.aLd;
  var s = 0.0;
  for (var k = 0u; k < P.rows; k++) { s = s + A[row + k] * v[k]; }
  w[i] = s;`);

/** One step after LAMMAX_GEMV: the Rayleigh quotient, the norm, the stopping rule, v normalised. */
export const LAMMAX_STEP: Program = {
  name: 'lammax-step',
  code: `
struct Params { n: u32, maxIter: u32, tolLo: u32, tolHi: u32, zero: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> S: array<u32>;
${DF32}
${F64}
${F64_ORDER}
${F64_WORKGROUP_SUM}
const WG = 256u;
var<workgroup> go: u32;
var<workgroup> invW: vec2f;

fn magnitude(x: F64) -> F64 { return F64(x.e, x.hi, x.lo, 0u, x.kind); }
fn setValue(at: u32, x: F64) {
  let b = bits64(x);
  S[at] = b.x;
  S[at + 1u] = b.y;
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  ds_zero = P.zero;
  let l = lid.x;
  if (l == 0u) { go = select(0u, 1u, S[0] == 0u); }
  if (workgroupUniformLoad(&go) == 0u) { return; }
  var rq = f64Zero(0u);
  var ww = f64Zero(0u);
  for (var i = l; i < P.n; i += WG) {
    rq = add(rq, prod(v[i], w[i]));
    ww = add(ww, prod(w[i], w[i]));
  }
  let RQ = f64WorkgroupSum(rq, l);
  let WW = f64WorkgroupSum(ww, l);
  if (l == 0u) {
    let it = S[1] + 1u;
    S[1] = it;
    setValue(4u, RQ);
    var cont = 0u;
    if (RQ.kind != 0u || WW.kind != 0u) {
      S[0] = 1u;
    } else if (isZero(WW)) {
      setValue(4u, f64Zero(0u));
      S[2] = 1u;
      S[0] = 1u;
    } else if (WW.e + 63 < -100 || WW.e + 63 > 100) {
      S[3] = 1u;
      S[0] = 1u;
    } else {
      let hi = bitcast<f32>(bits32(WW));
      let lo = bitcast<f32>(bits32(add(WW, negated(from32(bitcast<u32>(hi))))));
      invW = ds_div(vec2f(1.0, 0.0), ds_sqrt(vec2f(hi, lo)));
      cont = 1u;
      let prev = unpack64(S[6], S[7]);
      if (it > 1u && lessEq(magnitude(add(RQ, negated(prev))), mul(unpack64(P.tolLo, P.tolHi), magnitude(RQ)))) {
        S[2] = 1u;
        S[0] = 1u;
      }
      setValue(6u, RQ);
      if (it >= P.maxIter) { S[0] = 1u; }
    }
    go = cont;
  }
  if (workgroupUniformLoad(&go) == 0u) { return; }
  let inv = workgroupUniformLoad(&invW);
  for (var i = l; i < P.n; i += WG) { v[i] = ds_mulf(inv, w[i]).x; }
}`,
};
