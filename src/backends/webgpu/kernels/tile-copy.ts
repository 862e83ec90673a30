// A copy of a rows x cols view of 32-bit words per element (1: float32, 2: float64) into another
// view, straight or transposed (D[j, i] := S[i, j]), one invocation per element. The split syrk
// (backend.ts, gemmSplit) uses it to mirror a tile of C above the diagonal from the tile below it
// through a scratch tile: a buffer may not be bound for reading and writing in one dispatch.
import { elementwise } from './elementwise.js';

/** D := S (trans = 0) or Sᵀ (trans = 1) over S's rows x cols; offsets and strides count elements. */
export const TILE_COPY = elementwise('tile-copy', 'sOff: u32, sLd: u32, dOff: u32, dLd: u32, words: u32, trans: u32, pad0: u32, pad1: u32',
  `@group(0) @binding(1) var<storage, read> S: array<u32>;
@group(0) @binding(2) var<storage, read_write> D: array<u32>;`,
  `let s = P.words * (P.sOff + i * P.sLd + j);
  var d = P.words * (P.dOff + i * P.dLd + j);
  if (P.trans != 0u) { d = P.words * (P.dOff + j * P.dLd + i); }
  D[d] = S[s];
  if (P.words == 2u) { D[d + 1u] = S[s + 1u]; }`);
