// iobs: sparse recovery and neural-network pruning with second-order (OBS) information.
export { init, defaultRegistry, type InitOptions } from './init.js';
export { Linalg, type Values } from './linalg/linalg.js';
export { Scope, scoped } from './linalg/scope.js';
export { dampedHessian, checkHessian, checkDamp, psdTolerance, DEFAULT_DAMP, DAMP_RETRIES, SYMMETRY_TOLERANCE, type DampOptions, type DampedHessian, type DampedFactor } from './linalg/damped.js';
export { layerObjective } from './linalg/objective.js';
export type { ObsGreedyOptions } from './linalg/obs.js';
export type { GemmOptions } from './linalg/gemm.js';
export type { TrsmOptions } from './linalg/trsm.js';
export type { TrsvOptions } from './linalg/trsv.js';
export type { SyrkOptions } from './linalg/syrk.js';
export type { LammaxOptions } from './linalg/lammax.js';
export type { TopkOptions } from './linalg/topk.js';
export { ArgumentTypeError, ArgumentRangeError, ComputationError, isIobsError, closest, didYouMean, type IobsError, type ErrorFields, type ErrorKind } from './core/errors.js';
export { Matrix, HeapStorage, type Storage, type Mask } from './core/matrix.js';
export type { DType, FloatArray, StorageDType, HalfDType, IntDType, StorageArray, ArrayFor } from './core/dtype.js';
export { float16ToNumber, numberToFloat16, bfloat16ToNumber, numberToBfloat16 } from './core/half.js';
export { BackendRegistry, type Resolution } from './backends/registry.js';
export type { KernelBackend, BackendFactory, LammaxResult, MaskRule, Uplo, Side, Async, ExchangeTrajectories, DeviceLoss } from './backends/types.js';
export { WasmBackend, type WasmOptions } from './backends/wasm/backend.js';
export { probeFeatures, type WasmVariant, type WasmSource } from './backends/wasm/loader.js';
export { ReferenceBackend } from './backends/reference/backend.js';
export { parseNpy, formatNpy, type NpyArray } from './io/npy.js';
export { obc, type OBCOptions } from './pruning/obc.js';
export { sparseGPT, blockRule, DEFAULT_BLOCK_SIZE, type SparseGPTOptions } from './pruning/sparsegpt.js';
export { magnitude } from './pruning/magnitude.js';
export { wanda } from './pruning/wanda.js';
export { iobs, autoSolver, AUTO_CG_ITERATIONS, AUTO_CG_BUDGET, AUTO_EXCHANGE_FLOPS, exchangeFlops, type IterativeOBSOptions, type SupportSolver } from './pruning/iobs.js';
export { exchangeSearch, EXCHANGE_STEPS, type ExchangeReport } from './pruning/exchange.js';
export { solveOnSupportCG, DEFAULT_CG_TOLERANCE, type SupportCGOptions, type SupportCGResult } from './pruning/pcg.js';
export { lowRankPreconditioner, jacobiPreconditioner, type LowRankOptions, type SupportPreconditioner } from './pruning/preconditioner.js';
export { symmetricEigen } from './linalg/small.js';
export { pruneLayer, relativeError, type PruneLayerOptions } from './pruning/prune-layer.js';
export { HessianAccumulator, type HessianAccumulatorOptions, type InputBatch } from './pruning/accumulator.js';
export { CrossAccumulator } from './pruning/cross-accumulator.js';
export { denseTarget } from './pruning/target.js';
export { parsePattern, formatPattern, checkPattern, maskSummary, maskRule, prunedCount, type Pattern } from './pruning/pattern.js';
export { METHODS, PRUNERS, availableMethods, makePruner } from './pruning/registry.js';
export type { Pruner, PruneMethod, PrunerOutput, PruneResult, RunContext } from './pruning/types.js';
export { leastSquares, hessianProblem, quadraticProblem, hvpProblem, fisherProblem, type RecoveryProblem, type ProblemKind, type LeastSquaresOptions, type SmoothSpec, type HessianSpec, type HvpSpec, type FisherSpec } from './recovery/problem.js';
export { recover, type RecoverOptions, type RecoverResult, type RecoveryMethod, type StopReason } from './recovery/recover.js';
export { renderFigure, lineChart, type Figure, type Panel, type Series } from './figures/svg.js';
export { runFigure1, runSetting, runVariant, figure1Settings, figure1Figure, summarizeFigure1, gaussianInstance, mnistInstance, firstBelow, FIGURE1_STEPS, FIGURE1_QUICK_STEPS, type Instance, type Variant, type Setting, type SettingResult, type Curve, type Run, type Figure1Options, type SettingSummary, type CurveSummary } from './experiments/figure1.js';
export { SeededRandom } from './experiments/random.js';
// Safetensors: random-access byte sources, the reader/writer, sharded checkpoints (the Node file
// helpers are in src/io/node-byte-source.ts and src/io/safetensors-node.ts, not exported here).
export { bytesSource, blobSource, type ByteSource } from './io/byte-source.js';
export type { TensorSource, TensorInfo, TensorDType } from './models/tensor-source.js';
export { openSafetensors, openCheckpoint, writeSafetensors, formatSafetensors, SAFETENSORS_DTYPE_BITS, SUPPORTED_DTYPES, MAX_HEADER_BYTES, INDEX_FILE, SINGLE_FILE, type SafetensorsDType, type SafetensorsEntry, type SafetensorsFile, type Checkpoint, type CheckpointOpener, type TensorToWrite } from './io/safetensors.js';
// Llama (Hugging Face LlamaForCausalLM): transformer kernels' options, config, weights, forward pass, tokenizer, perplexity.
export type { SoftmaxOptions } from './linalg/nn.js';
export type { CrossEntropyResult } from './backends/types.js';
export { parseLlamaConfig, type LlamaConfig } from './models/llama/config.js';
export { LLAMA_PROJECTIONS, llamaTensorName, projectionShape, embeddingTensorName, loadLlamaBlock, freeLlamaBlock, loadLlama, loadLlamaEmbedding, loadLlamaHead, type LlamaProjection, type LlamaBlockWeights, type LlamaLoadOptions, type LlamaModel } from './models/llama/weights.js';
export { llamaBlock, llamaEmbed, llamaHeadNll, llamaNll, type LlamaBlockOptions, type LlamaNll } from './models/llama/forward.js';
export { LlamaTokenizer, type LlamaTokenizerOptions } from './models/llama/tokenizer.js';
export { STORY_SEPARATOR, splitStories, llamaPerplexity, sourcePerplexity, STREAM_ACTIVATION_BYTES, type PerplexityOptions, type SourcePerplexityOptions, type PerplexityResult } from './models/llama/perplexity.js';

// ONNX models end to end: im2col for Conv layers, the layer listing, calibration through
// onnxruntime (onnxruntime-web by default, imported lazily), sequential pruning, top-1 accuracy.
export { im2colGeometry, type ConvGeometry } from './linalg/im2col.js';
export type { Im2colGeometry } from './backends/types.js';
export {
  decodeOnnxModel, encodeOnnxModel, copyOnnxModel, onnxInitializers, readInitializer, onnxLayers, onnxLinearLayers, onnxSkippedLayers,
  convGeometry, layerWeight, withLayerWeight, setLayerWeight, withGraphOutputs, onnxGraphIO, onnxElemType,
  type OnnxModel, type OnnxTensor, type OnnxInitializerInfo, type OnnxLayer, type OnnxLinearLayer, type OnnxSkippedLayer, type OnnxConvAttributes, type OnnxAutoPad,
} from './models/onnx/reader.js';
export {
  captureLayerHessians, onnxTop1, onnxSampleCount, sliceOnnxSamples, type OnnxRuntime, type OrtSessionLike, type OrtTensorLike, type OnnxSamples,
  type OnnxSingleInputSamples, type OnnxMultiInputSamples, type OnnxInputSamples, type OnnxRunOptions, type CaptureOptions, type LayerStatistics,
} from './models/onnx/capture.js';
export { pruneOnnx, type PruneOnnxOptions, type PruneOnnxResult, type PrunedLayerReport, type PruneOnnxProgress } from './models/onnx/prune.js';
export { mnistInputs, mnistLabels, MNIST_MEAN, MNIST_STD } from './models/mnist.js';
export { parseIdx, type IdxArray } from './io/idx.js';
// Whole Llama models: calibration windows, sequential pruning with I-OBS passes, the checkpoint
// writer; and what every whole-model run reports (per-layer rows, tables, the error figure).
export { calibrationWindows, type CalibrationWindows } from './models/llama/calibration.js';
export { pruneLlama, type LlamaPruneOptions, type LlamaPruneResult, type LlamaPass } from './models/llama/prune.js';
export { continueAfterLoss, runOrRecover } from './models/device-loss.js';
export { writeLlamaWeights } from './models/llama/checkpoint.js';
export { overlaySource } from './models/overlay.js';
export { memoryPassStore, storeSource, type PassStore, type PassStoreFactory } from './models/pass-store.js';
export { modelPattern, layerPattern } from './models/layer-pattern.js';
export { givenStart } from './pruning/given.js';
export { formatRunTable, formatLayerTable, layerErrorFigure, alignTable, meanRelError, type LayerReport, type ModelRun, type ModelMetric } from './models/report.js';
