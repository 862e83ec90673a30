// sgemm in WGSL: C = alpha op(A) op(B) + beta C on float32 strided views. Each workgroup of
// 16 x 16 invocations owns a 64 x 64 tile of C, each invocation a 4 x 4 register tile at rows
// ty + 16r and columns tx + 16c; panels of 16 along k are staged in workgroup memory, loaded so
// that neighbouring invocations read neighbouring addresses for either transpose. The sum over k
// runs in order with one fma per term, so C_ij and C_ji of AᵀA come out bit for bit equal (syrk
// relies on it). beta = 0 overwrites C (NaN there does not survive), as BLAS does.
// The compensated variant (syrk's, where k runs over many samples) sums 256 values of k at a
// time in float32 and adds each partial sum into a two-float (hi, lo) accumulator by TwoSum, the
// GPU's stand-in for the Wasm kernel's float64 sum across 256-row slices: the result carries the
// slices' own rounding and not the long sum's.
// Long sums are split into dispatches of GEMM_K_CHUNK values of k (one dispatch running for a
// long time is cut short on some implementations — Mesa's lavapipe stopped near 58,000 — and
// trips watchdogs on real GPUs): the plain kernel then adds each chunk into C with beta = 1, the
// compensated one carries (hi, lo) in a scratch buffer between dispatches and writes C at the last.
import { Params, type Program } from '../program.js';

/** Rows and columns of C per workgroup. */
export const GEMM_TILE = 64;

/** WGSL element indices of op(A)(i, k) and op(B)(k, j) in A and B (offsets aOff, bOff, strides lda, ldb of Params); dgemm's too. */
export function operandIndex(transA: boolean, transB: boolean): { aIndex: string; bIndex: string } {
  return {
    aIndex: transA ? 'P.aOff + k * P.lda + i' : 'P.aOff + i * P.lda + k',
    bIndex: transB ? 'P.bOff + j * P.ldb + k' : 'P.bOff + k * P.ldb + j',
  };
}

function gemmCode(transA: boolean, transB: boolean, compensated: boolean): string {
  // Which of the 1024 panel elements invocation li loads in round e: k fastest when the operand's
  // rows run along k in memory (A not transposed, B transposed), else the other index fastest.
  const { aIndex, bIndex } = operandIndex(transA, transB);
  const aSplit = transA ? 'let kk = idx / 64u; let ii = idx % 64u;' : 'let kk = idx % 16u; let ii = idx / 16u;';
  const bSplit = transB ? 'let kk = idx % 16u; let jj = idx / 16u;' : 'let kk = idx / 64u; let jj = idx % 64u;';
  return `
struct Params { M: u32, N: u32, K: u32, aOff: u32, lda: u32, bOff: u32, ldb: u32, cOff: u32, ldc: u32, alpha: f32, beta: f32, kBegin: u32, first: u32, last: u32, one: f32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
${compensated ? '@group(0) @binding(4) var<storage, read_write> HL: array<f32>;' : ''}
var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;
fn loadA(i: u32, k: u32) -> f32 {
  if (i >= P.M || k >= P.K) { return 0.0; }
  return A[${aIndex}];
}
fn loadB(k: u32, j: u32) -> f32 {
  if (k >= P.K || j >= P.N) { return 0.0; }
  return B[${bIndex}];
}
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.y * 64u;
  let col0 = wid.x * 64u;
  let li = lid.y * 16u + lid.x;
  var acc: array<f32, 16>;
  ${compensated ? `var hi: array<f32, 16>;
  var lo: array<f32, 16>;
  if (P.first == 0u) {
    for (var e = 0u; e < 16u; e++) {
      let i = row0 + lid.y + 16u * (e / 4u);
      let j = col0 + lid.x + 16u * (e % 4u);
      if (i < P.M && j < P.N) { hi[e] = HL[i * P.N + j]; lo[e] = HL[P.M * P.N + i * P.N + j]; }
    }
  }` : ''}
  for (var k0 = P.kBegin; k0 < P.K; k0 += 16u) {
    for (var e = 0u; e < 4u; e++) {
      let idx = li + e * 256u;
      { ${aSplit} As[kk * 64u + ii] = loadA(row0 + ii, k0 + kk); }
      { ${bSplit} Bs[kk * 64u + jj] = loadB(k0 + kk, col0 + jj); }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var r = 0u; r < 4u; r++) { a[r] = As[kk * 64u + lid.y + 16u * r]; }
      for (var c = 0u; c < 4u; c++) { b[c] = Bs[kk * 64u + lid.x + 16u * c]; }
      for (var r = 0u; r < 4u; r++) {
        for (var c = 0u; c < 4u; c++) { acc[r * 4u + c] = fma(a[r], b[c], acc[r * 4u + c]); }
      }
    }
    workgroupBarrier();
    ${compensated ? `if ((k0 + 16u - P.kBegin) % 256u == 0u || k0 + 16u >= P.K) {
      for (var e = 0u; e < 16u; e++) {
        // TwoSum. P.one is 1.0 from the uniforms: a compiler that may reassociate floats (Mesa's
        // lavapipe does) cannot cancel the error terms through a factor it does not know.
        let s = (hi[e] + acc[e]) * P.one;
        let bp = (s - hi[e]) * P.one;
        lo[e] += (hi[e] - (s - bp) * P.one) + (acc[e] - bp);
        hi[e] = s;
        acc[e] = 0.0;
      }
    }` : ''}
  }
  ${compensated ? `if (P.last == 0u) {
    for (var e = 0u; e < 16u; e++) {
      let i = row0 + lid.y + 16u * (e / 4u);
      let j = col0 + lid.x + 16u * (e % 4u);
      if (i < P.M && j < P.N) { HL[i * P.N + j] = hi[e]; HL[P.M * P.N + i * P.N + j] = lo[e]; }
    }
    return;
  }
  for (var e = 0u; e < 16u; e++) { acc[e] = hi[e] + lo[e]; }` : ''}
  for (var r = 0u; r < 4u; r++) {
    let i = row0 + lid.y + 16u * r;
    if (i >= P.M) { continue; }
    for (var c = 0u; c < 4u; c++) {
      let j = col0 + lid.x + 16u * c;
      if (j >= P.N) { continue; }
      let at = P.cOff + i * P.ldc + j;
      var v = P.alpha * acc[r * 4u + c];
      if (P.beta != 0.0) { v = fma(P.beta, C[at], v); }
      C[at] = v;
    }
  }
}`;
}

const PROGRAMS = new Map<string, Program>();

/** The gemm program for a transpose pair, plain or compensated (made once). */
export function gemmProgram(transA: boolean, transB: boolean, compensated = false): Program {
  const key = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${compensated ? '-compensated' : ''}`;
  let p = PROGRAMS.get(key);
  if (!p) PROGRAMS.set(key, (p = { name: `sgemm-${key}`, code: gemmCode(transA, transB, compensated) }));
  return p;
}

/** Values of k per dispatch (a multiple of 256, the compensated kernel's slice). */
export const GEMM_K_CHUNK = 4096;

/**
 * Parameters of one dispatch over k in [kBegin, kEnd) (element offsets and strides of the three
 * views); first / last: whether it is the call's first / last chunk (the compensated kernel's
 * scratch is read after the first and C written at the last).
 */
export function gemmParams(M: number, N: number, kBegin: number, kEnd: number, a: { offset: number; stride: number }, b: { offset: number; stride: number },
  c: { offset: number; stride: number }, alpha: number, beta: number, first: boolean, last: boolean): Params {
  return new Params().u32(M).u32(N).u32(kEnd).u32(a.offset).u32(a.stride).u32(b.offset).u32(b.stride).u32(c.offset).u32(c.stride)
    .f32(alpha).f32(beta).u32(kBegin).u32(first ? 1 : 0).u32(last ? 1 : 0).f32(1).u32(0);
}

/** C[j, i] := C[i, j] for i > j (the lower triangle mirrored into the upper). */
export const MIRROR_LOWER: Program = {
  name: 'mirror-lower',
  code: `
struct Params { n: u32, off: u32, ld: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> C: array<f32>;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.y;
  let j = g.x;
  if (i >= P.n || j >= P.n || j <= i) { return; }
  C[P.off + i * P.ld + j] = C[P.off + j * P.ld + i];
}`,
};
