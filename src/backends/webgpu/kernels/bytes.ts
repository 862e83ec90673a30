// Byte-level copies and fills of strided views, for every dtype (uint8 masks, float16 weights,
// float64 CG state): WGSL sees storage only as 32-bit words, so each invocation owns one word of
// the destination and assembles its four bytes, taking each from the source (or the fill
// pattern) where the byte belongs to the view and keeping the word's own byte where it does not.
// No two invocations write one word, so views whose rows share a word are safe.
import { LINEAR_INDEX, Params, type Program } from '../program.js';

/** A strided window of a buffer in bytes: offset of (0, 0), distance between rows, bytes per row. */
export interface ByteWindow {
  offset: number;
  stride: number;
  rowBytes: number;
  rows: number;
}

const HEADER = `
struct Params { dOff: u32, dStride: u32, rowBytes: u32, rows: u32, sOff: u32, sStride: u32, wordStart: u32, wordCount: u32, p0: u32, p1: u32, esize: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
${LINEAR_INDEX}
fn inView(g: u32) -> vec2u {
  // (row, column byte) of destination byte g, or rows in .x when g is outside the view.
  if (g < P.dOff) { return vec2u(P.rows, 0u); }
  let rel = g - P.dOff;
  let r = rel / P.dStride;
  let c = rel - r * P.dStride;
  if (r >= P.rows || c >= P.rowBytes) { return vec2u(P.rows, 0u); }
  return vec2u(r, c);
}`;

/** Destination words that a window touches: [first, first + count). */
export function wordSpan(w: ByteWindow): { first: number; count: number } {
  if (w.rows === 0 || w.rowBytes === 0) return { first: 0, count: 0 };
  const end = w.offset + (w.rows - 1) * w.stride + w.rowBytes;
  const first = Math.floor(w.offset / 4);
  return { first, count: Math.ceil(end / 4) - first };
}

export const COPY_BYTES: Program = {
  name: 'copy-bytes',
  code: `${HEADER}
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = linearIndex(wid, nwg, lid);
  if (t >= P.wordCount) { return; }
  let w = P.wordStart + t;
  var word = dst[w];
  for (var b = 0u; b < 4u; b++) {
    let rc = inView(w * 4u + b);
    if (rc.x < P.rows) {
      let sb = P.sOff + rc.x * P.sStride + rc.y;
      let byte = (src[sb >> 2u] >> ((sb & 3u) * 8u)) & 0xffu;
      word = (word & ~(0xffu << (b * 8u))) | (byte << (b * 8u));
    }
  }
  dst[w] = word;
}`,
};

export const FILL_BYTES: Program = {
  name: 'fill-bytes',
  code: `${HEADER}
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = linearIndex(wid, nwg, lid);
  if (t >= P.wordCount) { return; }
  let w = P.wordStart + t;
  var word = dst[w];
  for (var b = 0u; b < 4u; b++) {
    let rc = inView(w * 4u + b);
    if (rc.x < P.rows) {
      let k = rc.y % P.esize;
      var byte: u32;
      if (k < 4u) { byte = (P.p0 >> (k * 8u)) & 0xffu; } else { byte = (P.p1 >> ((k - 4u) * 8u)) & 0xffu; }
      word = (word & ~(0xffu << (b * 8u))) | (byte << (b * 8u));
    }
  }
  dst[w] = word;
}`,
};

/** The parameters of a copy from window s to window d (same rows and rowBytes). */
export function copyParams(d: ByteWindow, s: ByteWindow): { params: Params; words: number } {
  const span = wordSpan(d);
  const params = new Params()
    .u32(d.offset).u32(d.rows > 1 ? d.stride : Math.max(1, d.rowBytes)).u32(d.rowBytes).u32(d.rows)
    .u32(s.offset).u32(s.stride).u32(span.first).u32(span.count)
    .u32(0).u32(0).u32(1).u32(0);
  return { params, words: span.count };
}

/** The parameters of a fill of window d with an element's bytes (1 to 8 of them). */
export function fillParams(d: ByteWindow, pattern: Uint8Array): { params: Params; words: number } {
  const span = wordSpan(d);
  const p = new Uint8Array(8);
  p.set(pattern);
  const dv = new DataView(p.buffer);
  const params = new Params()
    .u32(d.offset).u32(d.rows > 1 ? d.stride : Math.max(1, d.rowBytes)).u32(d.rowBytes).u32(d.rows)
    .u32(0).u32(0).u32(span.first).u32(span.count)
    .u32(dv.getUint32(0, true)).u32(dv.getUint32(4, true)).u32(pattern.length).u32(0);
  return { params, words: span.count };
}
