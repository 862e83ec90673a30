// The OBS projection of OBC in WGSL, float32 (the backend contracts: KernelBackend.obsGreedy,
// KernelBackend.solveOnSupport, and obcAllocate at the end of this file). The first two work one
// workgroup per row, each row on its own copy of a c x c matrix in a scratch buffer (rows are
// taken in batches that fit it), with the workgroup's invocations sharing every O(c²) step and a
// storage barrier between steps.
//
// obsGreedy, per row: the working copy of Hinv is the full square built from Hinv's lower
// triangle (the Wasm kernel reads that triangle only). Each step is a workgroup argmin of
// w_k² / Hinv[k,k] over the eligible k, the compensation w −= (w_p / Hinv[p,p]) · Hinv[p,:], and
// the downdate h_ij −= u_i u_j with u = Hinv[p,:] / √Hinv[p,p] over the live i, j. The scores
// are compared in two-float arithmetic (df32.ts, about 48 bits: the order of the float64 scores
// Wasm compares, up to ties closer than that), ties to the smaller index; the step's loss
// w_p² / Hinv[p,p] is the float64 quotient rounded once (f64.ts's div), as on Wasm.
// A score the two floats cannot order as float64 does — a pivot that is not positive and finite,
// a weight that is not finite, a subnormal operand, or a score outside 2^±100 — sets a flag: the
// backend then runs the whole call on the host, whose sequential rules decide such cases. The
// kernel leaves W as it was (it works in wOut) so that the host run starts from the inputs.
//
// solveOnSupport, per row: the support's indices, H[S,S]'s lower triangle gathered, a
// right-looking Cholesky (the pivot, then the column scaled, then the trailing update), and the
// two triangular solves L y = b, Lᵀ x = y; X's row is zeroed, then x is scattered into it.
import { type Program } from '../program.js';
import { DF32 } from './df32.js';
import { elementwise, maskByte } from './elementwise.js';
import { F64 } from './f64.js';

/** Invocations per row. */
const WG = 256;

/** u32 words of one row's scratch in OBS_GREEDY: Hinv's copy, u, live flags, group counts. */
export function greedyRowWords(c: number, groups: number): number {
  return c * c + 2 * c + groups;
}

/** f32 words of one row's scratch in SOLVE_SUPPORT: H[S,S], the right-hand side, the indices. */
export function solveRowWords(c: number): number {
  return c * c + 2 * c;
}

/**
 * Greedy OBS removal for the rows row0 … row0 + batch − 1 (one workgroup each). wOut (rows x c,
 * compact) gets the compensated weights (0 where removed) and flags (rows x c u32) the mask;
 * losses (float64 words) the step losses when withLosses. status[0]: the complement of the first
 * row with no eligible index (atomicMax; 0: none); status[1]: 1 when a score needs the host.
 */
export const OBS_GREEDY: Program = {
  name: 'obs-greedy',
  code: `
struct Params { rows: u32, c: u32, row0: u32, batch: u32, wOff: u32, wLd: u32, hOff: u32, hLd: u32,
  cOff: u32, cInc: u32, m: u32, groupPrune: u32, lOff: u32, lLd: u32, withLosses: u32, zero: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Hinv: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read> counts: array<i32>;
@group(0) @binding(4) var<storage, read_write> wOut: array<f32>;
@group(0) @binding(5) var<storage, read_write> flags: array<u32>;
@group(0) @binding(6) var<storage, read_write> work: array<u32>;
@group(0) @binding(7) var<storage, read_write> losses: array<u32>;
@group(0) @binding(8) var<storage, read_write> status: array<atomic<u32>, 2>;
${DF32}
${F64}
const WG = ${WG}u;
const NONE = 0xffffffffu;
var<workgroup> redHi: array<f32, ${WG}>;
var<workgroup> redLo: array<f32, ${WG}>;
var<workgroup> redI: array<u32, ${WG}>;
var<workgroup> redBad: array<u32, ${WG}>;
var<workgroup> cntW: i32;
var<workgroup> pickW: u32;
var<workgroup> stopW: u32;

// w² / h is ordered by two floats as float64 orders it: h positive and finite, w finite, and the
// score's binary exponent within ±100 (or w = 0), so that neither part overflows or underflows.
fn orderable(w: f32, h: f32) -> bool {
  let hb = bitcast<u32>(h);
  let wb = bitcast<u32>(w) & 0x7fffffffu;
  if (hb == 0u || hb >= 0x7f800000u || wb >= 0x7f800000u) { return false; }
  if (wb == 0u) { return true; }
  let e = 2 * (i32(wb >> 23u) - 127) - (i32(hb >> 23u) - 127);
  return (hb >> 23u) != 0u && (wb >> 23u) != 0u && e > -100 && e < 100;
}

fn better(h: f32, l: f32, i: u32, bh: f32, bl: f32, bi: u32) -> bool {
  if (i == NONE) { return false; }
  if (bi == NONE) { return true; }
  return h < bh || (h == bh && (l < bl || (l == bl && i < bi)));
}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ds_zero = P.zero;
  let lr = wid.x + wid.y * nwg.x;
  let r = P.row0 + lr;
  if (lr >= P.batch || r >= P.rows) { return; }
  let c = P.c;
  let cc = c * c;
  let groups = select(0u, c / max(P.m, 1u), P.m > 0u);
  let hB = lr * (cc + 2u * c + groups);
  let uB = hB + cc;
  let liveB = uB + c;
  let usedB = liveB + c;
  let wr = r * c;
  for (var t = lid.x; t < cc; t += WG) {
    let i = t / c;
    let j = t - i * c;
    work[hB + t] = bitcast<u32>(Hinv[P.hOff + max(i, j) * P.hLd + min(i, j)]);
  }
  for (var j = lid.x; j < c; j += WG) {
    wOut[wr + j] = W[P.wOff + r * P.wLd + j];
    work[liveB + j] = 1u;
  }
  for (var g = lid.x; g < groups; g += WG) { work[usedB + g] = 0u; }
  if (lid.x == 0u) {
    cntW = counts[P.cOff + r * P.cInc];
    stopW = 0u;
  }
  storageBarrier();
  let cnt = workgroupUniformLoad(&cntW);
  for (var t = 0; t < cnt; t++) {
    // The eligible index of least score, this invocation's share, then the workgroup's.
    var bh = 0.0;
    var bl = 0.0;
    var bi = NONE;
    var bad = 0u;
    for (var k = lid.x; k < c; k += WG) {
      if (work[liveB + k] == 0u) { continue; }
      if (groups > 0u && work[usedB + k / P.m] >= P.groupPrune) { continue; }
      let wk = wOut[wr + k];
      let hk = bitcast<f32>(work[hB + k * c + k]);
      if (!orderable(wk, hk)) {
        bad = 1u;
        continue;
      }
      let s = ds_div(ds_two_prod(wk, wk), vec2f(hk, 0.0));
      if (better(s.x, s.y, k, bh, bl, bi)) {
        bh = s.x;
        bl = s.y;
        bi = k;
      }
    }
    redHi[lid.x] = bh;
    redLo[lid.x] = bl;
    redI[lid.x] = bi;
    redBad[lid.x] = bad;
    workgroupBarrier();
    for (var span = WG / 2u; span > 0u; span = span >> 1u) {
      if (lid.x < span) {
        let o = lid.x + span;
        if (better(redHi[o], redLo[o], redI[o], redHi[lid.x], redLo[lid.x], redI[lid.x])) {
          redHi[lid.x] = redHi[o];
          redLo[lid.x] = redLo[o];
          redI[lid.x] = redI[o];
        }
        redBad[lid.x] = redBad[lid.x] | redBad[o];
      }
      workgroupBarrier();
    }
    if (lid.x == 0u) {
      let p = redI[0];
      if (redBad[0] != 0u) {
        atomicStore(&status[1], 1u);
        stopW = 1u;
      } else if (p == NONE) {
        atomicMax(&status[0], ~r);
        stopW = 1u;
      } else {
        pickW = p;
        work[liveB + p] = 0u;
        if (groups > 0u) { work[usedB + p / P.m] = work[usedB + p / P.m] + 1u; }
        if (P.withLosses == 1u) {
          let wb = bitcast<u32>(wOut[wr + p]);
          let q = bits64(div(product32(wb, wb), from32(work[hB + p * c + p])));
          let at = 2u * (P.lOff + r * P.lLd + u32(t));
          losses[at] = q.x;
          losses[at + 1u] = q.y;
        }
      }
    }
    storageBarrier();
    if (workgroupUniformLoad(&stopW) != 0u) { break; }
    let p = workgroupUniformLoad(&pickW);
    let pr = hB + p * c;
    let dp = bitcast<f32>(work[pr + p]);
    let wp = wOut[wr + p];
    // As Wasm: s = 1 / √d (the root rounded once), the multiplier w_p / d rounded once.
    let s = ds_inv_root(dp);
    let f = -ds_quot(wp, dp);
    for (var j = lid.x; j < c; j += WG) {
      if (work[liveB + j] == 0u) { continue; }
      let hpj = bitcast<f32>(work[pr + j]);
      work[uB + j] = bitcast<u32>(hpj * s);
      wOut[wr + j] = wOut[wr + j] + f * hpj;
    }
    storageBarrier();
    if (lid.x == 0u) { wOut[wr + p] = 0.0; }
    for (var q = lid.x; q < cc; q += WG) {
      let i = q / c;
      let j = q - i * c;
      if (work[liveB + i] == 0u || work[liveB + j] == 0u) { continue; }
      let h = bitcast<f32>(work[hB + q]);
      work[hB + q] = bitcast<u32>(h - bitcast<f32>(work[uB + i]) * bitcast<f32>(work[uB + j]));
    }
    storageBarrier();
  }
  storageBarrier();
  for (var j = lid.x; j < c; j += WG) {
    let live = work[liveB + j];
    flags[wr + j] = live;
    if (live == 0u) { wOut[wr + j] = 0.0; }
  }
}`,
};

/**
 * The support re-solve for the rows row0 … row0 + batch − 1 (one workgroup each): X[r,S] := the
 * solution of H[S,S] x = B[r,S], 0 elsewhere in row r. status[0]: the complement of the first row
 * whose H[S,S] has no Cholesky factor (atomicMax; 0: none).
 */
export const SOLVE_SUPPORT: Program = {
  name: 'solve-support',
  code: `
struct Params { rows: u32, c: u32, row0: u32, batch: u32, hOff: u32, hLd: u32, bOff: u32, bLd: u32,
  xOff: u32, xLd: u32, mOff: u32, zero: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> H: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> M: array<u32>;
@group(0) @binding(4) var<storage, read_write> work: array<f32>;
@group(0) @binding(5) var<storage, read_write> status: array<atomic<u32>, 1>;
@group(0) @binding(6) var<storage, read_write> X: array<f32>;
${DF32}
const WG = ${WG}u;
var<workgroup> kW: u32;
var<workgroup> failW: u32;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ds_zero = P.zero;
  let lr = wid.x + wid.y * nwg.x;
  let r = P.row0 + lr;
  if (lr >= P.batch || r >= P.rows) { return; }
  let c = P.c;
  let aB = lr * (c * c + 2u * c);
  let vB = aB + c * c;
  let iB = vB + c;
  if (lid.x == 0u) {
    var k = 0u;
    for (var j = 0u; j < c; j++) {
      if (${maskByte('M', 'P.mOff + r * c + j')} != 0u) {
        work[iB + k] = f32(j);
        k++;
      }
    }
    kW = k;
    failW = 0u;
  }
  storageBarrier();
  let k = workgroupUniformLoad(&kW);
  for (var t = lid.x; t < k * k; t += WG) {
    let i = t / k;
    let j = t - i * k;
    if (j <= i) { work[aB + t] = H[P.hOff + u32(work[iB + i]) * P.hLd + u32(work[iB + j])]; }
  }
  for (var i = lid.x; i < k; i += WG) { work[vB + i] = B[P.bOff + r * P.bLd + u32(work[iB + i])]; }
  storageBarrier();
  for (var j = 0u; j < k; j++) {
    let jj = aB + j * k + j;
    if (lid.x == 0u) {
      let d = work[jj];
      let bits = bitcast<u32>(d);
      if (bits == 0u || bits >= 0x7f800000u) { failW = 1u; } else { work[jj] = ds_sqrt(vec2f(d, 0.0)).x; }
    }
    storageBarrier();
    if (workgroupUniformLoad(&failW) != 0u) { break; }
    let l = work[jj];
    for (var i = j + 1u + lid.x; i < k; i += WG) { work[aB + i * k + j] = ds_quot(work[aB + i * k + j], l); }
    storageBarrier();
    let n = k - j - 1u;
    for (var t = lid.x; t < n * n; t += WG) {
      let a = t / n;
      let b = t - a * n;
      if (b <= a) {
        let i = j + 1u + a;
        let m = j + 1u + b;
        work[aB + i * k + m] = work[aB + i * k + m] - work[aB + i * k + j] * work[aB + m * k + j];
      }
    }
    storageBarrier();
  }
  if (workgroupUniformLoad(&failW) != 0u) {
    if (lid.x == 0u) { atomicMax(&status[0], ~r); }
    return;
  }
  for (var j = 0u; j < k; j++) {
    if (lid.x == 0u) { work[vB + j] = ds_quot(work[vB + j], work[aB + j * k + j]); }
    storageBarrier();
    let y = work[vB + j];
    for (var i = j + 1u + lid.x; i < k; i += WG) { work[vB + i] = work[vB + i] - work[aB + i * k + j] * y; }
    storageBarrier();
  }
  for (var s = 0u; s < k; s++) {
    let j = k - 1u - s;
    if (lid.x == 0u) { work[vB + j] = ds_quot(work[vB + j], work[aB + j * k + j]); }
    storageBarrier();
    let y = work[vB + j];
    for (var i = lid.x; i < j; i += WG) { work[vB + i] = work[vB + i] - work[aB + j * k + i] * y; }
    storageBarrier();
  }
  let xr = P.xOff + r * P.xLd;
  for (var j = lid.x; j < c; j += WG) { X[xr + j] = 0.0; }
  storageBarrier();
  for (var i = lid.x; i < k; i += WG) { X[xr + u32(work[iB + i])] = work[vB + i]; }
}`,
};

// obcAllocate: the `total` smallest float64 losses of the layer. Each loss becomes a key whose
// unsigned order is the reverse of the losses' order (−0 as +0), so the radix select of select.ts,
// which flags the largest keys with ties to the smaller index, flags the smallest losses with
// ties to the smaller row-major index. Each row then counts its flags and sums its chosen losses
// in order (emulated float64), and one invocation adds the rows' sums in order.

/** keys[2t], keys[2t+1] := the reversed order key (high word first) of L[i,j], t = i·cols + j; bad[0] := 1 for NaN. */
export const ALLOCATE_KEYS: Program = elementwise('obc-allocate-keys', 'lOff: u32, lLd: u32, pad0: u32, pad1: u32',
  `@group(0) @binding(1) var<storage, read> L: array<u32>;
@group(0) @binding(2) var<storage, read_write> keys: array<u32>;
@group(0) @binding(3) var<storage, read_write> bad: atomic<u32>;`,
  `let at = 2u * (P.lOff + i * P.lLd + j);
  var lo = L[at];
  var hi = L[at + 1u];
  let mag = hi & 0x7fffffffu;
  if (mag > 0x7ff00000u || (mag == 0x7ff00000u && lo != 0u)) { atomicStore(&bad, 1u); }
  if (mag == 0u && lo == 0u) { hi = 0u; }
  // Ascending order key: negative values inverted, the sign bit set on the others; then reversed.
  if ((hi >> 31u) == 0u) {
    hi = ~(hi | 0x80000000u);
    lo = ~lo;
  }
  keys[2u * t] = hi;
  keys[2u * t + 1u] = lo;`);

/** Per row r: C[cOff + r·cInc] := its flags' count; part[2r], part[2r+1] := the sum of its flagged losses, in order. */
export const ALLOCATE_ROWS: Program = elementwise('obc-allocate-rows', 'steps: u32, lOff: u32, lLd: u32, cOff: u32, cInc: u32, pad0: u32',
  `@group(0) @binding(1) var<storage, read> L: array<u32>;
@group(0) @binding(2) var<storage, read> flags: array<u32>;
@group(0) @binding(3) var<storage, read_write> part: array<u32>;
@group(0) @binding(4) var<storage, read_write> C: array<u32>;
${F64}`,
  `var n = 0u;
  var sum = f64Zero(0u);
  for (var s = 0u; s < P.steps; s++) {
    if (flags[i * P.steps + s] == 1u) {
      let at = 2u * (P.lOff + i * P.lLd + s);
      sum = add(sum, unpack64(L[at], L[at + 1u]));
      n++;
    }
  }
  C[P.cOff + i * P.cInc] = n;
  let b = bits64(sum);
  part[2u * i] = b.x;
  part[2u * i + 1u] = b.y;`);

/** out[0], out[1] := Σ of the rows' sums part[0 … rows) in order (float64 words); one invocation. */
export const ALLOCATE_SUM: Program = {
  name: 'obc-allocate-sum',
  code: `
struct Params { rows: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> part: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
${F64}
@compute @workgroup_size(1)
fn main() {
  var sum = f64Zero(0u);
  for (var r = 0u; r < P.rows; r++) { sum = add(sum, unpack64(part[2u * r], part[2u * r + 1u])); }
  let b = bits64(sum);
  out[0] = b.x;
  out[1] = b.y;
}`,
};
