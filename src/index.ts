// iobs: sparse recovery and neural-network pruning with second-order (OBS) information.
export { init, defaultRegistry, type InitOptions } from './init.js';
export { Linalg } from './linalg/linalg.js';
export type { GemmOptions } from './linalg/gemm.js';
export type { TrsmOptions } from './linalg/trsm.js';
export type { TrsvOptions } from './linalg/trsv.js';
export type { SyrkOptions } from './linalg/syrk.js';
export type { LammaxOptions } from './linalg/lammax.js';
export type { TopkOptions } from './linalg/topk.js';
export { Matrix, HeapStorage, type Storage } from './core/matrix.js';
export type { DType, FloatArray } from './core/dtype.js';
export { BackendRegistry, type Resolution } from './backends/registry.js';
export type { KernelBackend, BackendFactory, LammaxResult, MaskRule, Uplo, Side } from './backends/types.js';
export { WasmBackend, type WasmOptions } from './backends/wasm/backend.js';
export { probeFeatures, type WasmVariant, type WasmSource } from './backends/wasm/loader.js';
export { ReferenceBackend } from './backends/reference/backend.js';
export { parseNpy, formatNpy, type NpyArray } from './io/npy.js';
export { leastSquares, hessianProblem, quadraticProblem, hvpProblem, fisherProblem, type RecoveryProblem, type ProblemKind, type LeastSquaresOptions, type SmoothSpec, type HessianSpec, type HvpSpec, type FisherSpec } from './recovery/problem.js';
export { recover, type RecoverOptions, type RecoverResult, type RecoveryMethod } from './recovery/recover.js';
