// The Wasm ABI of iobs. Every export works on raw pointers into one linear memory that
// the TypeScript facade creates, imports here as env.memory, and manages (src/backends/wasm).
// Conventions, shared by every kernel:
// - matrices are row-major; a leading dimension is the distance between rows, in elements;
// - flags are i32: trans 0 = as stored, 1 = transposed; uplo 0 = lower, 1 = upper;
// - a kernel that needs scratch takes a `work` pointer and exports `<name>WorkBytes` for its size;
// - LAPACK-style kernels return an i32 info: 0 on success, j + 1 when column j failed.

/** First free byte after the module's static data: the facade's arena starts at or after it. */
export function heapBase(): usize {
  return __heap_base;
}

export { sgemm, dgemm, sgemmWorkBytes, dgemmWorkBytes } from './blas/gemm';
export { strsm, dtrsm, strsmWorkBytes, dtrsmWorkBytes } from './blas/trsm';
export { strsv, dtrsv, strsvWorkBytes, dtrsvWorkBytes } from './blas/trsv';
export { spotrf, dpotrf, spotrfWorkBytes, dpotrfWorkBytes } from './lapack/potrf';
export { spotri, dpotri, spotriWorkBytes, dpotriWorkBytes } from './lapack/potri';
export { sinvchol, dinvchol, sinvcholWorkBytes, dinvcholWorkBytes } from './lapack/invchol';
export { ssyrk, dsyrk, ssyrkWorkBytes, dsyrkWorkBytes } from './blas/syrk';
export { slammax, dlammax, slammaxWorkBytes, dlammaxWorkBytes } from './lapack/lammax';
export { stopk, dtopk, stopkWorkBytes, dtopkWorkBytes } from './select/topk';
export { sdowndate, ddowndate, sdowndateWorkBytes, ddowndateWorkBytes } from './lapack/downdate';
export { ssparsegpt, dsparsegpt, ssparsegptWorkBytes, dsparsegptWorkBytes } from './obs/sparsegpt';
export { spcgStart, dpcgStart, spcgStep, dpcgStep, spcgUpdate, dpcgUpdate, spcgDirection, dpcgDirection } from './obs/pcg';
export { sselectMask, dselectMask, sselectMaskWorkBytes, dselectMaskWorkBytes } from './obs/select-mask';
export { sobsGreedy, dobsGreedy, sobsGreedyWorkBytes, dobsGreedyWorkBytes } from './obs/greedy';
export { ssolveOnSupport, dsolveOnSupport, ssolveOnSupportWorkBytes, dsolveOnSupportWorkBytes } from './obs/solve-support';

// Elementwise, reduction and mask kernels (the facade's copy, fill, axpby, dot, objective, …).
// Float kernels come in s (float32) and d (float64) forms; their arithmetic is float64 throughout.
export { copyMatrix } from './util/copy';
export { convert } from './util/convert';
export { fill } from './util/fill';
export { saddDiagonal, daddDiagonal } from './blas/add-diagonal';
export { sdiagonal, ddiagonal, sddiagonal, dsdiagonal } from './blas/diagonal';
export { saxpby, daxpby } from './blas/axpby';
export { sscaleRows, dscaleRows } from './blas/scale-rows';
export { sgramDiagonal, dgramDiagonal } from './blas/gram-diagonal';
export { ddot, dsdot, dmdot } from './blas/dot';
export { sdeadInputs, ddeadInputs } from './obs/dead-inputs';
export { szeroColumns, dzeroColumns } from './obs/zero-columns';
export { sapplyMask, dapplyMask } from './obs/apply-mask';
export { sfirstNonFinite, dfirstNonFinite } from './util/first-non-finite';
export { sobjective, dobjective, sobjectiveWorkBytes, dobjectiveWorkBytes } from './obs/objective';
export { ssymmetryViolation, dsymmetryViolation } from './obs/symmetry-violation';
export { maskCounts } from './obs/mask-counts';
export { maskDifference } from './obs/mask-difference';
export { smaskViolation, dmaskViolation } from './obs/mask-violation';
export { obcAllocate, obcAllocateWorkBytes } from './obs/obc-allocate';
export { dobsExchange, obsExchangeWorkBytes } from './obs/exchange';
export { dobsExchangeAllocate } from './obs/exchange-allocate';

// Transformer kernels (the Llama forward pass): float kernels in s / d forms, float64 inside.
export { srmsNorm, drmsNorm } from './nn/rms-norm';
export { srotary, drotary } from './nn/rotary';
export { ssoftmaxRows, dsoftmaxRows, softmaxRowsWorkBytes } from './nn/softmax';
export { ssiluGate, dsiluGate } from './nn/silu-gate';
export { gatherRows } from './nn/gather';
export { scrossEntropy, dcrossEntropy, crossEntropyWorkBytes } from './nn/cross-entropy';
// Neural-network layout kernels.
export { sim2col, dim2col } from './nn/im2col';
