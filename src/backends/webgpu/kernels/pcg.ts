// Masked preconditioned CG over all rows of a layer at once (the backend contracts
// KernelBackend.pcgStart, pcgStep, pcgUpdate, pcgDirection) in WGSL, float32 vectors: one
// workgroup per row. The caller forms Q = P·H with gemm; this program does the rest of an
// iteration. As on Wasm, the updates are in float32 and every dot and norm is accumulated in
// float64 — here the emulated float64 of f64.ts: each product of two float32 is exact, each sum
// rounded once; an invocation sums its share of the row in order, then the workgroup adds the
// shares in a tree (so the sums agree with Wasm's to float64 rounding, not bit for bit). The step
// lengths α = rz / (p·q) and β = rz' / rz are float64 quotients rounded once to float32, and the
// stopping test rr ≤ tol²·bb is made in float64. One invocation decides each row's status and
// hands its decisions to the others through workgroupUniformLoad; the rows still active are
// counted in one atomic word, read back by the backend.
//
// One program serves the four kernels (Params.mode), so that they share one pipeline:
// bindings X, V (B for start, Q for step and update, the correction C for direction), R, Dir (P),
// the mask, dinv, the state (rows x 4 float64 words: rz, rr, bb, status) and the count. A kernel
// that does not use a binding gets a spare buffer there.
import { type Program } from '../program.js';
import { maskByte } from './elementwise.js';
import { F64, F64_ORDER, F64_WORKGROUP_SUM } from './f64.js';

/** Params.mode of PCG. */
export const PCG_MODE = { start: 0, step: 1, update: 2, direction: 3 } as const;

export const PCG: Program = {
  name: 'pcg',
  code: `
struct Params { rows: u32, cols: u32, mode: u32, restart: u32, hasC: u32, xOff: u32, xLd: u32, vOff: u32,
  vLd: u32, rOff: u32, rLd: u32, pOff: u32, pLd: u32, mOff: u32, dOff: u32, sOff: u32, tolLo: u32, tolHi: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read> V: array<f32>;
@group(0) @binding(3) var<storage, read_write> R: array<f32>;
@group(0) @binding(4) var<storage, read_write> Dir: array<f32>;
@group(0) @binding(5) var<storage, read> M: array<u32>;
@group(0) @binding(6) var<storage, read> D: array<f32>;
@group(0) @binding(7) var<storage, read_write> S: array<u32>;
@group(0) @binding(8) var<storage, read_write> count: atomic<u32>;
${F64}
${F64_ORDER}
${F64_WORKGROUP_SUM}
const WG = 256u;
var<workgroup> wordW: u32;
var<workgroup> scalW: f32;

fn stateAt(si: u32, k: u32) -> F64 { return unpack64(S[si + 2u * k], S[si + 2u * k + 1u]); }
fn setState(si: u32, k: u32, x: F64) {
  let b = bits64(x);
  S[si + 2u * k] = b.x;
  S[si + 2u * k + 1u] = b.y;
}
// status: 0, 1 or 2 as a float64.
fn setStatus(si: u32, s: u32) {
  S[si + 6u] = 0u;
  S[si + 7u] = select(select(0x40000000u, 0x3ff00000u, s == 1u), 0u, s == 0u);
}
fn kept(mr: u32, j: u32) -> bool { return ${maskByte('M', 'mr + j')} != 0u; }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = wid.x + wid.y * nwg.x;
  if (i >= P.rows) { return; }
  let l = lid.x;
  let cols = P.cols;
  let tol2 = unpack64(P.tolLo, P.tolHi);
  let xr = P.xOff + i * P.xLd;
  let vr = P.vOff + i * P.vLd;
  let rr = P.rOff + i * P.rLd;
  let pr = P.pOff + i * P.pLd;
  let mr = P.mOff + i * cols;
  let si = 2u * (P.sOff + 4u * i);
  if (P.mode == 0u) {
    // Start: R masked, P = dinv ⊙ R, and bb, rr, rz.
    var bb = f64Zero(0u);
    var rs = f64Zero(0u);
    var rz = f64Zero(0u);
    for (var j = l; j < cols; j += WG) {
      let m = kept(mr, j);
      let bj = select(0.0, V[vr + j], m);
      let rj = select(0.0, R[rr + j], m);
      let zj = D[P.dOff + j] * rj;
      R[rr + j] = rj;
      Dir[pr + j] = zj;
      bb = add(bb, prod(bj, bj));
      rs = add(rs, prod(rj, rj));
      rz = add(rz, prod(rj, zj));
    }
    let BB = f64WorkgroupSum(bb, l);
    let RR = f64WorkgroupSum(rs, l);
    let RZ = f64WorkgroupSum(rz, l);
    let live = positive(BB) && less(mul(tol2, BB), RR);
    if (isZero(BB)) {
      for (var j = l; j < cols; j += WG) {
        X[xr + j] = 0.0;
        R[rr + j] = 0.0;
        Dir[pr + j] = 0.0;
      }
    }
    if (l == 0u) {
      setState(si, 0u, RZ);
      setState(si, 1u, RR);
      setState(si, 2u, BB);
      setStatus(si, select(0u, 1u, live));
      if (live) { atomicAdd(&count, 1u); }
    }
    return;
  }
  if (l == 0u) { wordW = select(0u, 1u, S[si + 6u] == 0u && S[si + 7u] == 0x3ff00000u); }
  if (workgroupUniformLoad(&wordW) == 0u) { return; }
  if (P.mode != 3u) {
    // Update: α = rz / (p·q); x += α p; r −= α q on S; rr; converged when rr <= tol²·bb.
    var pq = f64Zero(0u);
    for (var j = l; j < cols; j += WG) { pq = add(pq, prod(Dir[pr + j], V[vr + j])); }
    let PQ = f64WorkgroupSum(pq, l);
    if (l == 0u) {
      let alpha = div(stateAt(si, 0u), PQ);
      let ok = positive(PQ) && alpha.kind == 0u;
      if (!ok) { setStatus(si, 2u); }
      wordW = select(0u, 1u, ok);
      scalW = bitcast<f32>(bits32(alpha));
    }
    if (workgroupUniformLoad(&wordW) == 0u) { return; }
    let a = workgroupUniformLoad(&scalW);
    var rs = f64Zero(0u);
    for (var j = l; j < cols; j += WG) {
      X[xr + j] = X[xr + j] + a * Dir[pr + j];
      if (kept(mr, j)) { R[rr + j] = R[rr + j] - a * V[vr + j]; }
      let rj = R[rr + j];
      rs = add(rs, prod(rj, rj));
    }
    let RR = f64WorkgroupSum(rs, l);
    if (l == 0u) {
      setState(si, 1u, RR);
      let done = lessEq(RR, mul(tol2, stateAt(si, 2u)));
      if (done) { setStatus(si, 0u); }
      wordW = select(1u, 0u, done);
    }
    if (workgroupUniformLoad(&wordW) == 0u) { return; }
    if (P.mode == 2u) {
      if (l == 0u) { atomicAdd(&count, 1u); }
      return;
    }
  }
  // Direction: z = dinv ⊙ r (− C on S); rz' = r·z; p := z or z + (rz'/rz) p; rz := rz'.
  let withC = P.mode == 3u && P.hasC == 1u;
  var rz = f64Zero(0u);
  for (var j = l; j < cols; j += WG) {
    let rj = R[rr + j];
    var zj = D[P.dOff + j] * rj;
    if (withC && kept(mr, j)) { zj = zj - V[vr + j]; }
    rz = add(rz, prod(rj, zj));
  }
  let RZ = f64WorkgroupSum(rz, l);
  if (l == 0u) {
    let ok = positive(RZ) && RZ.kind == 0u;
    if (ok) {
      scalW = select(bitcast<f32>(bits32(div(RZ, stateAt(si, 0u)))), 0.0, P.restart == 1u);
      setState(si, 0u, RZ);
    } else {
      setStatus(si, 2u);
    }
    wordW = select(0u, 1u, ok);
  }
  if (workgroupUniformLoad(&wordW) == 0u) { return; }
  let bt = workgroupUniformLoad(&scalW);
  for (var j = l; j < cols; j += WG) {
    var zj = D[P.dOff + j] * R[rr + j];
    if (withC && kept(mr, j)) { zj = zj - V[vr + j]; }
    if (P.restart == 1u) { Dir[pr + j] = zj; } else { Dir[pr + j] = zj + bt * Dir[pr + j]; }
  }
  if (l == 0u) { atomicAdd(&count, 1u); }
}`,
};
