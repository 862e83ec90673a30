// Global top-k selection on the GPU: of n unsigned 32-bit keys, the k largest are flagged 1 (the
// rest 0), equal keys going to the smaller index — the rule every layer-wide mask follows. Keys
// are the bits of non-negative float32 scores, which order like the floats.
//
// Radix select, eight bits at a time from the top: a histogram of the digit among the keys that
// match the prefix found so far, then one invocation walks the 256 buckets from the largest and
// fixes the digit where the count reaches k. After four passes the prefix is T, the k-th largest
// key, and k has become the number of keys equal to T that are kept. Those are the first ones in
// index order: a count of T per chunk of 256 keys, an exclusive scan over chunks, and a rank
// within each chunk decide them.
//
// Everything runs in one buffer `sel` (u32): hist[4·256] | prefix | k | pad | pad | chunk[…].
/// <reference types="@webgpu/types" />
import { LINEAR_INDEX, LINEAR_MAIN, Params, type Program, type Programs, linearGrid } from '../program.js';

/** Words of `sel` before the chunk counts. */
export const SEL_HEADER = 4 * 256 + 4;
/** Index of the prefix (then T) and of k (then the number of keys equal to T to keep). */
export const SEL_PREFIX = 4 * 256;
export const SEL_K = SEL_PREFIX + 1;
/** Keys per chunk of the tie scan (one workgroup). */
export const SEL_CHUNK = 256;

/** Words of `sel` for n keys. */
export function selWords(n: number): number {
  return SEL_HEADER + Math.ceil(n / SEL_CHUNK);
}


/** Histogram of digit (key >> shift) & 255 over keys whose higher digits equal the prefix. */
export const RADIX_HISTOGRAM: Program = {
  name: 'radix-histogram',
  code: `
struct Params { n: u32, shift: u32, round: u32, pad: u32 }
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
    let key = keys[t];
    let high = select(~((1u << (P.shift + 8u)) - 1u), 0u, P.shift == 24u);
    if ((key & high) == (atomicLoad(&sel[${SEL_PREFIX}]) & high)) {
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
struct Params { n: u32, shift: u32, round: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> sel: array<u32>;
@compute @workgroup_size(1)
fn main() {
  let k = sel[${SEL_K}];
  var cum = 0u;
  for (var d = 255i; d >= 0; d--) {
    let c = sel[P.round * 256u + u32(d)];
    if (cum + c >= k) {
      sel[${SEL_PREFIX}] = sel[${SEL_PREFIX}] | (u32(d) << P.shift);
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
struct Params { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read_write> sel: array<u32>;
var<workgroup> count: atomic<u32>;
${LINEAR_INDEX}
${LINEAR_MAIN} {
  if (lid.x == 0u) { atomicStore(&count, 0u); }
  workgroupBarrier();
  let t = linearIndex(wid, nwg, lid);
  if (t < P.n && keys[t] == sel[${SEL_PREFIX}]) { atomicAdd(&count, 1u); }
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
struct Params { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read> sel: array<u32>;
@group(0) @binding(3) var<storage, read_write> flags: array<u32>;
var<workgroup> eq: array<u32, 256>;
${LINEAR_INDEX}
${LINEAR_MAIN} {
  let t = linearIndex(wid, nwg, lid);
  let T = sel[${SEL_PREFIX}];
  var key = 0u;
  if (t < P.n) { key = keys[t]; }
  eq[lid.x] = select(0u, 1u, t < P.n && key == T);
  workgroupBarrier();
  if (t >= P.n) { return; }
  var flag = select(0u, 1u, key > T);
  if (eq[lid.x] == 1u) {
    var rank = sel[${SEL_HEADER}u + (t >> 8u)];
    for (var l = 0u; l < lid.x; l++) { rank += eq[l]; }
    flag = select(0u, 1u, rank < sel[${SEL_K}]);
  }
  flags[t] = flag;
}`,
};

/**
 * Flags (n u32, written) the k largest of the n keys, ties to the smaller index, with 0 < k < n
 * (the caller settles k = 0 and k ≥ n without a search). `sel`: selWords(n) words, zero on entry.
 */
export function topKFlags(programs: Programs, keys: GPUBuffer, n: number, k: number, sel: GPUBuffer, flags: GPUBuffer): void {
  programs.write(sel, SEL_PREFIX * 4, new Uint8Array(Uint32Array.of(0, k).buffer));
  const groups = linearGrid(Math.ceil(n / 256));
  for (let pass = 0; pass < 4; pass++) {
    const params = new Params().u32(n).u32(24 - 8 * pass).u32(pass).u32(0);
    programs.run(RADIX_HISTOGRAM, params, [keys, sel], groups);
    programs.run(RADIX_PICK, params, [sel], [1]);
  }
  const chunks = Math.ceil(n / SEL_CHUNK);
  programs.run(RADIX_COUNT_EQUAL, new Params().u32(n).u32(0).u32(0).u32(0), [keys, sel], groups);
  programs.run(RADIX_SCAN, new Params().u32(chunks).u32(0).u32(0).u32(0), [sel], [1]);
  programs.run(RADIX_FLAGS, new Params().u32(n).u32(0).u32(0).u32(0), [keys, sel, flags], groups);
}
