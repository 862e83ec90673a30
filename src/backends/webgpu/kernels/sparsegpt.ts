// SparseGPT's column loop over one block (the backend contract: KernelBackend.sparsegptBlock) in
// WGSL, float32. One workgroup per row of W1: the row lives in workgroup memory, and for each
// column i the pruned entry's error e = w_i / U1[i,i] is pushed into the later columns by the
// workgroup's invocations together (w_j −= e · U1[i,j]), with a barrier between columns. Rows are
// independent, so a block of r rows is r workgroups.
//
// The mask: 'layer' comes from the global top-k of the block's keys (select.ts) before the loop;
// 'row' is a rank within the row's keys before the loop; 'nm' a rank within each group of m
// columns of the current (already updated) row, at the group's first column. The key of an entry
// is |w| / U1[j,j] in float32, whose order is that of the published score w² / U1[j,j]² up to
// the rounding of one division (the Wasm kernels compare the scores in float64, so two scores
// within a few float32 ulps of each other may be ordered differently here).
import { LINEAR_INDEX, type Program } from '../program.js';
import { elementwise } from './elementwise.js';

/** Widest block the workgroup memory holds (wider blocks run on the host). */
export const SPARSEGPT_MAX_B = 1024;
/** Invocations per row. */
const WG = 64;

/** Rule codes of the block kernel's parameters. */
export const RULE_CODE = { layer: 0, row: 1, nm: 2 } as const;

/** Index of the first diagonal entry of U1 that is not finite and positive, or 0xffffffff. */
export const CHECK_DIAGONAL: Program = {
  name: 'sparsegpt-check-diagonal',
  code: `
struct Params { b: u32, uOff: u32, uLd: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read_write> info: array<u32>;
var<workgroup> first: atomic<u32>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  if (lid.x == 0u) { atomicStore(&first, 0xffffffffu); }
  workgroupBarrier();
  for (var j = lid.x; j < P.b; j += 256u) {
    // Positive and finite, decided on the bits (no float comparison a compiler may fold for NaN).
    let bits = bitcast<u32>(U[P.uOff + j * P.uLd + j]);
    if (bits == 0u || bits >= 0x7f800000u) { atomicMin(&first, j); }
  }
  workgroupBarrier();
  if (lid.x == 0u) { info[0] = atomicLoad(&first); }
}`,
};

/** keys[r·b + j] := the bits of |W1[r,j]| / U1[j,j] (for the 'layer' rule's top-k; pass rows, b). */
export const BLOCK_KEYS = elementwise('sparsegpt-keys', 'wOff: u32, wLd: u32, uOff: u32, uLd: u32, pad0: u32, pad1: u32',
  `@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> U: array<f32>;
@group(0) @binding(3) var<storage, read_write> keys: array<u32>;`,
  'keys[t] = bitcast<u32>(abs(W[P.wOff + i * P.wLd + j]) / U[P.uOff + j * P.uLd + j]);');

/**
 * The column loop. flags (rows·b u32): on entry the 'layer' mask (1 = kept); on exit the mask of
 * every rule, for PACK_FLAGS.
 */
export const BLOCK_LOOP: Program = {
  name: 'sparsegpt-block',
  code: `
struct Params { rows: u32, b: u32, wOff: u32, wLd: u32, uOff: u32, uLd: u32, eOff: u32, eLd: u32, rule: u32, keep: u32, n: u32, m: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read_write> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> E: array<f32>;
@group(0) @binding(4) var<storage, read_write> flags: array<u32>;
const WG = ${WG}u;
var<workgroup> w: array<f32, ${SPARSEGPT_MAX_B}>;
// Keys while a mask is chosen; the errors of the columns already done (indices below i) after.
var<workgroup> key: array<f32, ${SPARSEGPT_MAX_B}>;
var<workgroup> kept: array<u32, ${SPARSEGPT_MAX_B}>;

fn diag(j: u32) -> f32 { return U[P.uOff + j * P.uLd + j]; }

// Rank of entry j among [j0, j1) by key, larger first, equal keys to the smaller index.
fn rank(j: u32, j0: u32, j1: u32) -> u32 {
  let kj = key[j];
  var r = 0u;
  for (var l = j0; l < j1; l++) {
    let kl = key[l];
    if (kl > kj || (kl == kj && l < j)) { r++; }
  }
  return r;
}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= P.rows) { return; }
  let b = P.b;
  let wRow = P.wOff + r * P.wLd;
  for (var j = lid.x; j < b; j += WG) {
    w[j] = W[wRow + j];
    key[j] = abs(w[j]) / diag(j);
    kept[j] = flags[r * b + j];
  }
  workgroupBarrier();
  if (P.rule == 1u) {
    for (var j = lid.x; j < b; j += WG) { kept[j] = select(0u, 1u, rank(j, 0u, b) < P.keep); }
    workgroupBarrier();
  }
  for (var i = 0u; i < b; i++) {
    if (P.rule == 2u && i % P.m == 0u) {
      for (var j = i + lid.x; j < i + P.m; j += WG) { key[j] = abs(w[j]) / diag(j); }
      workgroupBarrier();
      for (var j = i + lid.x; j < i + P.m; j += WG) { kept[j] = select(0u, 1u, rank(j, i, i + P.m) < P.n); }
      workgroupBarrier();
    }
    let pruned = kept[i] == 0u;
    var e = 0.0;
    if (pruned) {
      e = w[i] / diag(i);
      let uRow = P.uOff + i * P.uLd;
      for (var j = i + 1u + lid.x; j < b; j += WG) { w[j] = w[j] - e * U[uRow + j]; }
    }
    workgroupBarrier();
    if (lid.x == 0u) {
      key[i] = e;
      if (pruned) { w[i] = 0.0; }
    }
  }
  workgroupBarrier();
  let eRow = P.eOff + r * P.eLd;
  for (var j = lid.x; j < b; j += WG) {
    W[wRow + j] = w[j];
    E[eRow + j] = key[j];
    flags[r * b + j] = kept[j];
  }
}`,
};

/** The n flags (u32) as bytes of a contiguous uint8 mask at byte mOff; each invocation owns one word. */
export const PACK_FLAGS: Program = {
  name: 'pack-flags',
  code: `
struct Params { n: u32, mOff: u32, wordStart: u32, wordCount: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> flags: array<u32>;
@group(0) @binding(2) var<storage, read_write> M: array<u32>;
${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = linearIndex(wid, nwg, lid);
  if (t >= P.wordCount) { return; }
  let wd = P.wordStart + t;
  var word = M[wd];
  for (var k = 0u; k < 4u; k++) {
    let g = wd * 4u + k;
    if (g >= P.mOff && g < P.mOff + P.n) {
      word = (word & ~(0xffu << (k * 8u))) | ((flags[g - P.mOff] & 0xffu) << (k * 8u));
    }
  }
  M[wd] = word;
}`,
};
