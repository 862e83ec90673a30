// Top-k selection on the GPU: of n unsigned keys of one or two 32-bit words (the high word
// first), the k largest are flagged 1 (the rest 0), equal keys going to the smaller index — the
// rule every keep-mask follows. One-word keys are the bits of non-negative float32 scores, which
// order like the floats; two-word keys are float64 scores made orderable (scores.ts).
//
// Global radix select (topKFlags), eight bits at a time from the top: a histogram of the digit
// among the keys that match the prefix found so far, then one invocation walks the 256 buckets
// from the largest and fixes the digit where the count reaches k. After 4 passes a word (8 for
// two) the prefix is T, the k-th largest key, and k has become the number of keys equal to T that
// are kept. Those are the first ones in index order: a count of T per chunk of 256 keys, an
// exclusive scan over chunks, and a rank within each chunk decide them. Everything runs in one
// buffer `sel` (u32): hist[8·256] | prefix hi | prefix lo | k | pad | chunk[…].
//
// Segmented selection (segmentFlags) keeps the k largest of every run of `seg` consecutive keys
// (a row, or an N:M group): the same radix select by one workgroup per run when runs are long,
// and a rank of each key within its run, one invocation per key, when they are short.
/// <reference types="@webgpu/types" />
import { LINEAR_INDEX, LINEAR_MAIN, Params, type Program, type Programs, linearGrid } from '../program.js';

/** Words of `sel` before the chunk counts. */
export const SEL_HEADER = 8 * 256 + 4;
/** Index of the prefix (then T; its low word follows) and of k (then the number of keys equal to T to keep). */
export const SEL_PREFIX = 8 * 256;
export const SEL_K = SEL_PREFIX + 2;
/** Keys per chunk of the tie scan (one workgroup). */
export const SEL_CHUNK = 256;

/** WGSL: key t equals T (the prefix words of sel); needs P.words and a binding `keys`, `sel`. */
const EQUAL_T = `
fn equalT(t: u32) -> bool {
  return keys[t * P.words] == sel[${SEL_PREFIX}] && (P.words == 1u || keys[t * P.words + 1u] == sel[${SEL_PREFIX + 1}]);
}`;

/** Words of `sel` for n keys. */
export function selWords(n: number): number {
  return SEL_HEADER + Math.ceil(n / SEL_CHUNK);
}


/**
 * Histogram of digit (word >> shift) & 255, word = the key's word round / 4, over keys whose higher
 * digits (the earlier words included) equal the prefix.
 */
export const RADIX_HISTOGRAM: Program = {
  name: 'radix-histogram',
  code: `
struct Params { n: u32, shift: u32, round: u32, words: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read_write> sel: array<atomic<u32>>;
var<workgroup> local: array<atomic<u32>, 256>;
${LINEAR_INDEX}
${LINEAR_MAIN} {
  atomicStore(&local[lid.x], 0u);
  workgroupBarrier();
  let t = linearIndex(wid, nwg, lid);
  if (t < P.n) {
    let wi = P.round >> 2u;
    let key = keys[t * P.words + wi];
    let high = select(~((1u << (P.shift + 8u)) - 1u), 0u, P.shift == 24u);
    let above = wi == 0u || keys[t * P.words] == atomicLoad(&sel[${SEL_PREFIX}]);
    if (above && (key & high) == (atomicLoad(&sel[${SEL_PREFIX}u + wi]) & high)) {
      atomicAdd(&local[(key >> P.shift) & 255u], 1u);
    }
  }
  workgroupBarrier();
  let c = atomicLoad(&local[lid.x]);
  if (c > 0u) { atomicAdd(&sel[P.round * 256u + lid.x], c); }
}`,
};

/** One invocation: the digit of this pass, from the largest bucket down. */
export const RADIX_PICK: Program = {
  name: 'radix-pick',
  code: `
struct Params { n: u32, shift: u32, round: u32, words: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> sel: array<u32>;
@compute @workgroup_size(1)
fn main() {
  let k = sel[${SEL_K}];
  var cum = 0u;
  for (var d = 255i; d >= 0; d--) {
    let c = sel[P.round * 256u + u32(d)];
    if (cum + c >= k) {
      let p = ${SEL_PREFIX}u + (P.round >> 2u);
      sel[p] = sel[p] | (u32(d) << P.shift);
      sel[${SEL_K}] = k - cum;
      return;
    }
    cum += c;
  }
}`,
};

/** chunk[g] := how many keys of chunk g equal T. */
export const RADIX_COUNT_EQUAL: Program = {
  name: 'radix-count-equal',
  code: `
struct Params { n: u32, words: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read_write> sel: array<u32>;
var<workgroup> count: atomic<u32>;
${EQUAL_T}
${LINEAR_INDEX}
${LINEAR_MAIN} {
  if (lid.x == 0u) { atomicStore(&count, 0u); }
  workgroupBarrier();
  let t = linearIndex(wid, nwg, lid);
  if (t < P.n && equalT(t)) { atomicAdd(&count, 1u); }
  workgroupBarrier();
  if (lid.x == 0u) { sel[${SEL_HEADER}u + (t >> 8u)] = atomicLoad(&count); }
}`,
};

/** One workgroup: chunk[] := its exclusive prefix sums. */
export const RADIX_SCAN: Program = {
  name: 'radix-scan',
  code: `
struct Params { chunks: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> sel: array<u32>;
var<workgroup> part: array<u32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  let per = (P.chunks + 255u) / 256u;
  let c0 = min(lid.x * per, P.chunks);
  let c1 = min(c0 + per, P.chunks);
  var s = 0u;
  for (var c = c0; c < c1; c++) { s += sel[${SEL_HEADER}u + c]; }
  part[lid.x] = s;
  workgroupBarrier();
  if (lid.x == 0u) {
    var run = 0u;
    for (var i = 0u; i < 256u; i++) { let v = part[i]; part[i] = run; run += v; }
  }
  workgroupBarrier();
  var run = part[lid.x];
  for (var c = c0; c < c1; c++) { let v = sel[${SEL_HEADER}u + c]; sel[${SEL_HEADER}u + c] = run; run += v; }
}`,
};

/** flags[t] := 1 for the kept keys (above T, or equal to T and among the first k of those), else 0. */
export const RADIX_FLAGS: Program = {
  name: 'radix-flags',
  code: `
struct Params { n: u32, words: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read> sel: array<u32>;
@group(0) @binding(3) var<storage, read_write> flags: array<u32>;
var<workgroup> eq: array<u32, 256>;
${EQUAL_T}
${LINEAR_INDEX}
${LINEAR_MAIN} {
  let t = linearIndex(wid, nwg, lid);
  eq[lid.x] = select(0u, 1u, t < P.n && equalT(t));
  workgroupBarrier();
  if (t >= P.n) { return; }
  let hi = keys[t * P.words];
  let T = sel[${SEL_PREFIX}];
  var flag = select(0u, 1u, hi > T || (P.words == 2u && hi == T && keys[t * P.words + 1u] > sel[${SEL_PREFIX + 1}]));
  if (eq[lid.x] == 1u) {
    var rank = sel[${SEL_HEADER}u + (t >> 8u)];
    for (var l = 0u; l < lid.x; l++) { rank += eq[l]; }
    flag = select(0u, 1u, rank < sel[${SEL_K}]);
  }
  flags[t] = flag;
}`,
};

/**
 * Flags (n u32, written) the k largest of the n keys (`words` u32 each, the high one first), ties
 * to the smaller index, with 0 < k < n (the caller settles k = 0 and k ≥ n without a search).
 * `sel`: selWords(n) words, zero on entry.
 */
export function topKFlags(programs: Programs, keys: GPUBuffer, n: number, k: number, sel: GPUBuffer, flags: GPUBuffer, words: 1 | 2 = 1): void {
  programs.write(sel, SEL_PREFIX * 4, new Uint8Array(Uint32Array.of(0, 0, k).buffer));
  const groups = linearGrid(Math.ceil(n / 256));
  for (let pass = 0; pass < 4 * words; pass++) {
    const params = new Params().u32(n).u32(24 - 8 * (pass & 3)).u32(pass).u32(words);
    programs.run(RADIX_HISTOGRAM, params, [keys, sel], groups);
    programs.run(RADIX_PICK, params, [sel], [1]);
  }
  const chunks = Math.ceil(n / SEL_CHUNK);
  programs.run(RADIX_COUNT_EQUAL, new Params().u32(n).u32(words).u32(0).u32(0), [keys, sel], groups);
  programs.run(RADIX_SCAN, new Params().u32(chunks).u32(0).u32(0).u32(0), [sel], [1]);
  programs.run(RADIX_FLAGS, new Params().u32(n).u32(words).u32(0).u32(0), [keys, sel, flags], groups);
}

/** Runs at most this long are ranked key by key (SEGMENT_RANK); longer ones get a workgroup (SEGMENT_SELECT). */
export const RANK_MAX_SEG = 64;

/** WGSL: key a (two words) comes before key b: larger, or equal with the smaller index. */
const BEFORE = `
fn before(a: u32, b: u32) -> bool {
  let ah = keys[2u * a]; let bh = keys[2u * b];
  if (ah != bh) { return ah > bh; }
  let al = keys[2u * a + 1u]; let bl = keys[2u * b + 1u];
  return al > bl || (al == bl && a < b);
}`;

/** flags[t] := 1 when fewer than keep keys of t's run (seg consecutive two-word keys) come before it. */
export const SEGMENT_RANK: Program = {
  name: 'segment-rank',
  code: `
struct Params { n: u32, seg: u32, keep: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read_write> flags: array<u32>;
${BEFORE}
${LINEAR_INDEX}
${LINEAR_MAIN} {
  let t = linearIndex(wid, nwg, lid);
  if (t >= P.n) { return; }
  let base = (t / P.seg) * P.seg;
  var rank = 0u;
  for (var l = base; l < base + P.seg; l++) {
    if (before(l, t)) { rank++; }
  }
  flags[t] = select(0u, 1u, rank < P.keep);
}`,
};

/**
 * One workgroup per run of seg consecutive two-word keys: flags the keep largest (0 < keep < seg),
 * ties to the smaller index, by the radix select of topKFlags inside the workgroup.
 */
export const SEGMENT_SELECT: Program = {
  name: 'segment-select',
  code: `
struct Params { segs: u32, seg: u32, keep: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read_write> flags: array<u32>;
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> prefix: array<u32, 2>;
var<workgroup> need: u32;
var<workgroup> scan: array<u32, 256>;
var<workgroup> earlier: u32;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let s = wid.x + wid.y * nwg.x;
  if (s >= P.segs) { return; }
  let base = s * P.seg;
  if (lid.x == 0u) { prefix[0] = 0u; prefix[1] = 0u; need = P.keep; earlier = 0u; }
  for (var round = 0u; round < 8u; round++) {
    atomicStore(&hist[lid.x], 0u);
    workgroupBarrier();
    let wi = round >> 2u;
    let shift = 24u - 8u * (round & 3u);
    let high = select(~((1u << (shift + 8u)) - 1u), 0u, shift == 24u);
    let p0 = prefix[0];
    let pw = prefix[wi];
    for (var j = lid.x; j < P.seg; j += 256u) {
      let key = keys[2u * (base + j) + wi];
      if ((wi == 0u || keys[2u * (base + j)] == p0) && (key & high) == (pw & high)) {
        atomicAdd(&hist[(key >> shift) & 255u], 1u);
      }
    }
    workgroupBarrier();
    if (lid.x == 0u) {
      var cum = 0u;
      for (var d = 255i; d >= 0; d--) {
        let c = atomicLoad(&hist[u32(d)]);
        if (cum + c >= need) {
          prefix[wi] = prefix[wi] | (u32(d) << shift);
          need = need - cum;
          break;
        }
        cum += c;
      }
    }
    workgroupBarrier();
  }
  let T0 = prefix[0];
  let T1 = prefix[1];
  let k = need;
  for (var c = 0u; c < P.seg; c += 256u) {
    let j = c + lid.x;
    var hi = 0u;
    var lo = 0u;
    var eq = 0u;
    if (j < P.seg) {
      hi = keys[2u * (base + j)];
      lo = keys[2u * (base + j) + 1u];
      eq = select(0u, 1u, hi == T0 && lo == T1);
    }
    scan[lid.x] = eq;
    workgroupBarrier();
    for (var off = 1u; off < 256u; off <<= 1u) {
      var v = scan[lid.x];
      if (lid.x >= off) { v += scan[lid.x - off]; }
      workgroupBarrier();
      scan[lid.x] = v;
      workgroupBarrier();
    }
    let e0 = earlier;
    if (j < P.seg) {
      let greater = hi > T0 || (hi == T0 && lo > T1);
      let rank = e0 + scan[lid.x] - eq;
      flags[base + j] = select(0u, 1u, greater || (eq == 1u && rank < k));
    }
    let total = scan[255];
    workgroupBarrier();
    if (lid.x == 0u) { earlier = e0 + total; }
    workgroupBarrier();
  }
}`,
};

/**
 * Flags (n u32, written) the keep largest of every run of seg consecutive two-word keys (n a
 * multiple of seg, 0 < keep < seg), ties to the smaller index.
 */
export function segmentFlags(programs: Programs, keys: GPUBuffer, n: number, seg: number, keep: number, flags: GPUBuffer): void {
  const params = new Params().u32(seg <= RANK_MAX_SEG ? n : n / seg).u32(seg).u32(keep).u32(0);
  if (seg <= RANK_MAX_SEG) programs.run(SEGMENT_RANK, params, [keys, flags], linearGrid(Math.ceil(n / 256)));
  else programs.run(SEGMENT_SELECT, params, [keys, flags], linearGrid(n / seg));
}
