// topk on the GPU: the indices of the k entries of a vector with the largest |x_i| (or x_i), ties
// to the smaller index, in ascending order. Each entry becomes an unsigned key of its float bits
// (one word for float32, two for float64) that orders as the scores do, with −0 as +0; the radix
// select of select.ts flags the k largest; the flags are counted per chunk of SEL_CHUNK entries,
// those counts scanned (RADIX_SCAN), and each chunk writes its indices from its offset on. The
// first NaN's index comes back through one atomic word (its complement, 0 meaning none).
import { LINEAR_INDEX, LINEAR_MAIN, type Program } from '../program.js';
import { SEL_CHUNK, SEL_HEADER } from './select.js';

/** keys[t] := the order key of x_t (words 1 or 2); R[0] := max(R[0], ~t) for a NaN x_t. */
export const TOPK_KEYS: Program = {
  name: 'topk-keys',
  code: `
struct Params { n: u32, xOff: u32, xStep: u32, words: u32, byValue: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<u32>;
@group(0) @binding(2) var<storage, read_write> keys: array<u32>;
@group(0) @binding(3) var<storage, read_write> R: array<atomic<u32>>;
${LINEAR_INDEX}
${LINEAR_MAIN} {
  let t = linearIndex(wid, nwg, lid);
  if (t >= P.n) { return; }
  let at = P.xOff + t * P.xStep;
  var hi: u32; var lo = 0u; var nan: bool;
  if (P.words == 1u) {
    hi = X[at];
    nan = (hi & 0x7fffffffu) > 0x7f800000u;
  } else {
    lo = X[2u * at];
    hi = X[2u * at + 1u];
    nan = (hi & 0x7fffffffu) > 0x7ff00000u || ((hi & 0x7fffffffu) == 0x7ff00000u && lo != 0u);
  }
  if (nan) { atomicMax(&R[0], ~t); }
  if ((hi & 0x7fffffffu) == 0u && lo == 0u) { hi = 0u; }   // −0 as +0
  if (P.byValue == 0u) { hi = hi & 0x7fffffffu; }
  else if ((hi >> 31u) == 1u) { hi = ~hi; lo = ~lo; }
  else { hi = hi | 0x80000000u; }
  keys[t * P.words] = hi;
  if (P.words == 2u) { keys[t * P.words + 1u] = lo; }
}`,
};

/** sel's chunk g := the number of flags set among entries [g·CHUNK, (g+1)·CHUNK); one invocation per chunk. */
export const FLAG_COUNT: Program = {
  name: 'flag-count',
  code: `
struct Params { n: u32, chunks: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> flags: array<u32>;
@group(0) @binding(2) var<storage, read_write> sel: array<u32>;
${LINEAR_INDEX}
${LINEAR_MAIN} {
  let g = linearIndex(wid, nwg, lid);
  if (g >= P.chunks) { return; }
  var c = 0u;
  for (var t = g * ${SEL_CHUNK}u; t < min(P.n, (g + 1u) * ${SEL_CHUNK}u); t++) { c += flags[t]; }
  sel[${SEL_HEADER}u + g] = c;
}`,
};

/** out[oOff + p·oStep] := t for the p-th flagged entry t (p from the chunk's scanned offset on). */
export const FLAG_COMPACT: Program = {
  name: 'flag-compact',
  code: `
struct Params { n: u32, chunks: u32, oOff: u32, oStep: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> flags: array<u32>;
@group(0) @binding(2) var<storage, read> sel: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
${LINEAR_INDEX}
${LINEAR_MAIN} {
  let g = linearIndex(wid, nwg, lid);
  if (g >= P.chunks) { return; }
  var p = sel[${SEL_HEADER}u + g];
  for (var t = g * ${SEL_CHUNK}u; t < min(P.n, (g + 1u) * ${SEL_CHUNK}u); t++) {
    if (flags[t] == 1u) {
      out[P.oOff + p * P.oStep] = t;
      p++;
    }
  }
}`,
};
