// dgemm in WGSL: C = alpha op(A) op(B) + beta C on float64 strided views, in float64 emulated on
// integers (f64.ts: every product and sum rounded once, as IEEE float64 rounds it). Each workgroup
// of 16 x 16 invocations owns a 16 x 16 tile of C, one element per invocation; panels of 16 along
// k are unpacked once into workgroup memory, so each term costs one emulated product and one sum,
// taken in the order of k. C_ij and C_ji of AᵀA are therefore equal bit for bit (syrk relies on
// it). beta = 0 overwrites C (NaN there does not survive), as BLAS does.
// The emulation costs tens of integer operations a flop, so a dispatch covers DGEMM_K_CHUNK
// values of k (a long dispatch is cut short on some implementations and trips watchdogs on real
// GPUs); later chunks add into C with beta = 1.
import { F64, float64Words } from './f64.js';
import { operandIndex } from './gemm.js';
import { Params, type Program } from '../program.js';

/** Rows and columns of C per workgroup. */
export const DGEMM_TILE = 16;

/** Values of k per dispatch. */
export const DGEMM_K_CHUNK = 512;

function dgemmCode(transA: boolean, transB: boolean): string {
  // Which panel element invocation (x, y) loads: k along x where it runs along memory rows.
  const aLoad = transA ? 'As[lid.y * 16u + lid.x] = loadA(row0 + lid.x, k0 + lid.y);' : 'As[lid.x * 16u + lid.y] = loadA(row0 + lid.y, k0 + lid.x);';
  const bLoad = transB ? 'Bs[lid.x * 16u + lid.y] = loadB(k0 + lid.x, col0 + lid.y);' : 'Bs[lid.y * 16u + lid.x] = loadB(k0 + lid.y, col0 + lid.x);';
  const { aIndex, bIndex } = operandIndex(transA, transB);
  return `
struct Params { M: u32, N: u32, K: u32, aOff: u32, lda: u32, bOff: u32, ldb: u32, cOff: u32, ldc: u32, kBegin: u32, aLo: u32, aHi: u32, bLo: u32, bHi: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<u32>;
@group(0) @binding(2) var<storage, read> B: array<u32>;
@group(0) @binding(3) var<storage, read_write> C: array<u32>;
${F64}
// Panels as [k][i] and [k][j], unpacked.
var<workgroup> As: array<F64, 256>;
var<workgroup> Bs: array<F64, 256>;
fn loadA(i: u32, k: u32) -> F64 {
  if (i >= P.M || k >= P.K) { return f64Zero(0u); }
  let at = 2u * (${aIndex});
  return unpack64(A[at], A[at + 1u]);
}
fn loadB(k: u32, j: u32) -> F64 {
  if (k >= P.K || j >= P.N) { return f64Zero(0u); }
  let at = 2u * (${bIndex});
  return unpack64(B[at], B[at + 1u]);
}
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.y * 16u;
  let col0 = wid.x * 16u;
  var acc = f64Zero(0u);
  for (var k0 = P.kBegin; k0 < P.K; k0 += 16u) {
    ${aLoad}
    ${bLoad}
    workgroupBarrier();
    let kn = min(16u, P.K - k0);
    for (var kk = 0u; kk < kn; kk++) { acc = add(acc, mul(As[kk * 16u + lid.y], Bs[kk * 16u + lid.x])); }
    workgroupBarrier();
  }
  let i = row0 + lid.y;
  let j = col0 + lid.x;
  if (i >= P.M || j >= P.N) { return; }
  let at = 2u * (P.cOff + i * P.ldc + j);
  var v = mul(unpack64(P.aLo, P.aHi), acc);
  if (P.bLo != 0u || (P.bHi & 0x7fffffffu) != 0u) { v = add(v, mul(unpack64(P.bLo, P.bHi), unpack64(C[at], C[at + 1u]))); }
  let b = bits64(v);
  C[at] = b.x;
  C[at + 1u] = b.y;
}`;
}

const PROGRAMS = new Map<string, Program>();

/** The dgemm program for a transpose pair (made once). */
export function dgemmProgram(transA: boolean, transB: boolean): Program {
  const key = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
  let p = PROGRAMS.get(key);
  if (!p) PROGRAMS.set(key, (p = { name: `dgemm-${key}`, code: dgemmCode(transA, transB) }));
  return p;
}

/** Parameters of one dispatch over k in [kBegin, kEnd) (element offsets and strides of the three views). */
export function dgemmParams(M: number, N: number, kBegin: number, kEnd: number, a: { offset: number; stride: number }, b: { offset: number; stride: number },
  c: { offset: number; stride: number }, alpha: number, beta: number): Params {
  const [aLo, aHi] = float64Words(alpha), [bLo, bHi] = float64Words(beta);
  return new Params().u32(M).u32(N).u32(kEnd).u32(a.offset).u32(a.stride).u32(b.offset).u32(b.stride).u32(c.offset).u32(c.stride)
    .u32(kBegin).u32(aLo).u32(aHi).u32(bLo).u32(bHi).u32(0).u32(0);
}

/** C[j, i] := C[i, j] for i > j on float64 (two words an element). */
export const DMIRROR_LOWER: Program = {
  name: 'dmirror-lower',
  code: `
struct Params { n: u32, off: u32, ld: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> C: array<u32>;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.y;
  let j = g.x;
  if (i >= P.n || j >= P.n || j <= i) { return; }
  let dst = 2u * (P.off + i * P.ld + j);
  let src = 2u * (P.off + j * P.ld + i);
  C[dst] = C[src];
  C[dst + 1u] = C[src + 1u];
}`,
};
