// Calibration statistics of an ONNX model's layers, captured by running the model in onnxruntime:
// every layer's input is made a graph output, the model runs batch by batch, and each batch X_b
// is added to the layer's float64 H += X_bᵀX_b — for a Gemm or MatMul one row per sample (or per
// position for inputs of rank > 2), for a Conv one row per output position of its im2col patch
// matrix. Only one batch is in memory at a time. Also: top-1 accuracy of a classifier.
//
// The runtime is onnxruntime-web by default, imported on first use (so the library's other users
// never load it) and the same in Node, Deno and browsers; a caller may pass another module with
// the same API in options.ort (onnxruntime-node, faster in Node; onnxruntime-web configured its
// own way).
import { checkInt, didYouMean, rangeError, show, typeError } from '../../core/errors.js';
import type { Matrix } from '../../core/matrix.js';
import { im2colGeometry } from '../../linalg/im2col.js';
import type { Linalg } from '../../linalg/linalg.js';
import { HessianAccumulator } from '../../pruning/accumulator.js';
import {
  type OnnxLayer, type OnnxModel, convGeometry, encodeOnnxModel, onnxElemType, onnxGraphIO, onnxLayers, withGraphOutputs,
} from './reader.js';

/** A tensor as onnxruntime (web or node) hands it back. */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
  dispose?(): void;
}

/** An inference session as onnxruntime (web or node) makes it. */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>, fetches?: string[]): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/**
 * The part of an onnxruntime module that iobs uses: `import * as ort from 'onnxruntime-web'` (the
 * default) or onnxruntime-node's module, passed as options.ort.
 */
export interface OnnxRuntime {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSessionLike> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  Tensor: new (type: any, data: any, dims?: readonly number[]) => OrtTensorLike;
  env?: { wasm?: { numThreads?: number } };
}

/** Samples of one graph input: `data` holds N samples of `sampleShape` each, in C order. */
export interface OnnxInputSamples {
  /**
   * Float32Array for a FLOAT input, Float64Array for a DOUBLE one; for an INT64 input (token ids,
   * an attention mask) a BigInt64Array, or an Int32Array that is widened batch by batch; for an
   * INT32 input an Int32Array.
   */
  data: Float32Array | Float64Array | BigInt64Array | Int32Array;
  /** Shape of one sample (the input's shape without the batch dimension), e.g. [1, 28, 28]. */
  sampleShape: number[];
}

/** Samples for a model with one float graph input, named by `input`. */
export interface OnnxSingleInputSamples {
  /** The graph input they feed. */
  input: string;
  /** float32 for a FLOAT input, float64 for a DOUBLE one. */
  data: Float32Array | Float64Array;
  /** Shape of one sample (the input's shape without the batch dimension), e.g. [1, 28, 28]. */
  sampleShape: number[];
}

/**
 * Samples for a model with several graph inputs (or one of an integer type): one entry per graph
 * input, keyed by its name, every entry with the same number of samples N; sample i of the model
 * is sample i of each entry.
 *
 * @example
 * // a BERT-like classifier: token ids and attention mask, 2 sequences of 8 tokens
 * const samples: OnnxMultiInputSamples = { inputs: {
 *   input_ids: { data: BigInt64Array.from([101n, 2023n, ...]), sampleShape: [8] },
 *   attention_mask: { data: new Int32Array(16).fill(1), sampleShape: [8] },   // widened to int64
 * } };
 */
export interface OnnxMultiInputSamples {
  inputs: Record<string, OnnxInputSamples>;
}

/**
 * What the ONNX functions are calibrated and scored on: `{ input, data, sampleShape }` for a model
 * with one float input, or `{ inputs: { name: { data, sampleShape }, … } }` feeding every graph
 * input. Checked against the graph's declared inputs: every input fed and no other, each with its
 * element type and static dims, the same sample count for all.
 */
export type OnnxSamples = OnnxSingleInputSamples | OnnxMultiInputSamples;

/** One checked graph input of OnnxSamples, as fed to onnxruntime. */
export interface SampleFeed {
  name: string;
  /** How errors name it: 'samples' (the one-input form) or 'samples.inputs.<name>'. */
  arg: string;
  data: Float32Array | Float64Array | BigInt64Array | Int32Array;
  sampleShape: number[];
  /** Values per sample. */
  size: number;
  /** The onnxruntime tensor type fed: 'float32', 'float64', 'int64' or 'int32'. */
  type: 'float32' | 'float64' | 'int64' | 'int32';
}

/** Checked samples: their count and one feed per graph input. */
export interface SampleFeeds {
  n: number;
  feeds: SampleFeed[];
}

/** Options of captureLayerHessians and onnxTop1. */
export interface OnnxRunOptions {
  /** Samples per run of the model (default 256). */
  batchSize?: number;
  /**
   * onnxruntime intra-op threads (default 1): the session option for onnxruntime-node; for the
   * default onnxruntime-web, env.wasm.numThreads when it is unset before its first session.
   */
  threads?: number;
  /** The onnxruntime module to run (default: onnxruntime-web, imported on first use). */
  ort?: OnnxRuntime;
  /** Called after each batch with the samples done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Options of captureLayerHessians. */
export interface CaptureOptions extends OnnxRunOptions {
  /** The layers to capture (default: every layer onnxLayers finds, Conv included). */
  layers?: OnnxLayer[];
}

/** One layer's calibration statistics. */
export interface LayerStatistics {
  layer: OnnxLayer;
  /**
   * H = Σ XᵀX over every captured row X of the layer's input (float64 staging and sum), in la's
   * memory: pass it to pruneLayer, or read it with hessian('float64'); the caller frees it.
   */
  stats: HessianAccumulator;
}

/** Checked run settings, the runtime resolved. */
export interface RunSettings {
  batchSize: number;
  threads: number;
  ort: OnnxRuntime;
}

/**
 * The default runtime, onnxruntime-web, loaded lazily: a bundle of the library keeps the import as
 * it is (scripts/build.mjs marks it external), so only callers of the ONNX functions load it.
 */
async function webRuntime(threads: number): Promise<OnnxRuntime> {
  const ort = (await import('onnxruntime-web')) as unknown as OnnxRuntime;
  const wasm = ort.env?.wasm;
  if (wasm && !wasm.numThreads) wasm.numThreads = threads;
  return ort;
}

/** Number of samples in `samples`, after checking its fields (and, given a model, against its declared inputs). */
export function sampleCount(fn: string, samples: OnnxSamples, model?: OnnxModel, modelName = 'model', arg = 'samples'): number {
  return sampleFeeds(fn, samples, model, modelName, arg).n;
}

/** The number of samples of checked-shape OnnxSamples (one-input or several-input form), without a model. */
export function onnxSampleCount(samples: OnnxSamples): number {
  return sampleFeeds('onnxSampleCount', samples).n;
}

/**
 * Samples [start, end) of `samples`, in the same form (views on the same data, nothing copied).
 * @example
 * const held = sliceOnnxSamples(samples, 900, 1000), calib = sliceOnnxSamples(samples, 0, 900);
 */
export function sliceOnnxSamples<S extends OnnxSamples>(samples: S, start: number, end: number): S {
  const { n, feeds } = sampleFeeds('sliceOnnxSamples', samples);
  checkInt('sliceOnnxSamples', 'start', start, 0, n);
  checkInt('sliceOnnxSamples', 'end', end, start, n);
  if ('inputs' in samples) {
    const inputs: Record<string, OnnxInputSamples> = {};
    for (const f of feeds) inputs[f.name] = { data: f.data.subarray(start * f.size, end * f.size), sampleShape: f.sampleShape };
    return { ...samples, inputs };
  }
  const f = feeds[0];
  return { ...samples, data: f.data.subarray(start * f.size, end * f.size) };
}

const FEED_TYPES = {
  1: { type: 'float32', arrays: [Float32Array], text: 'a Float32Array' },
  11: { type: 'float64', arrays: [Float64Array], text: 'a Float64Array' },
  7: { type: 'int64', arrays: [BigInt64Array, Int32Array], text: 'a BigInt64Array (or an Int32Array)' },
  6: { type: 'int32', arrays: [Int32Array], text: 'an Int32Array' },
} as const;

function typeOfData(data: unknown): SampleFeed['type'] | null {
  return data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : data instanceof BigInt64Array ? 'int64' : data instanceof Int32Array ? 'int32' : null;
}

/** One input's fields checked: its typed array and sample shape; returns the values per sample and the sample count. */
function checkFeedFields(fn: string, arg: string, data: unknown, sampleShape: unknown, float: boolean): { size: number; n: number } {
  if (float ? !(data instanceof Float32Array) && !(data instanceof Float64Array) : typeOfData(data) === null) {
    throw typeError(fn, `${arg}.data`, data, float ? 'a Float32Array or Float64Array' : 'a Float32Array, Float64Array, BigInt64Array or Int32Array');
  }
  if (!Array.isArray(sampleShape) || sampleShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw typeError(fn, `${arg}.sampleShape`, sampleShape, 'an array of positive integers');
  }
  const size = (sampleShape as number[]).reduce((a, b) => a * b, 1);
  const length = (data as { length: number }).length;
  if (length % size !== 0) {
    throw rangeError(fn, `${arg}.data`, `length ${length}`, `a multiple of the sample size ${size} ([${(sampleShape as number[]).join(', ')}])`);
  }
  return { size, n: length / size };
}

/**
 * OnnxSamples checked and made feeds: the one-input form's fields, or each entry of `inputs` with
 * the same sample count; given a model, every graph input fed (and nothing else), each with its
 * element type and static dims. `arg` names the samples in errors ('samples', 'options.validation').
 */
export function sampleFeeds(fn: string, samples: OnnxSamples, model?: OnnxModel, modelName = 'model', arg = 'samples'): SampleFeeds {
  if (!samples || typeof samples !== 'object') throw typeError(fn, arg, samples, 'an object { input, data, sampleShape } or { inputs: { name: { data, sampleShape } } }');
  const feeds: SampleFeed[] = [];
  let n: number;
  if ('inputs' in samples) {
    const inputs = samples.inputs;
    if (!inputs || typeof inputs !== 'object' || Array.isArray(inputs)) throw typeError(fn, `${arg}.inputs`, inputs, 'an object { name: { data, sampleShape } } with one entry per graph input');
    const names = Object.keys(inputs);
    if (names.length === 0) throw rangeError(fn, `${arg}.inputs`, 'no inputs', 'one entry per graph input');
    let first: string | null = null;
    n = 0;
    for (const name of names) {
      const at = `${arg}.inputs.${name}`;
      const entry = inputs[name];
      if (!entry || typeof entry !== 'object') throw typeError(fn, at, entry, 'an object { data, sampleShape }');
      const c = checkFeedFields(fn, at, entry.data, entry.sampleShape, false);
      if (first === null) { first = name; n = c.n; }
      else if (c.n !== n) throw rangeError(fn, `${at}.data`, `${c.n} samples`, `as many samples as ${arg}.inputs.${first} (${n})`);
      feeds.push({ name, arg: at, data: entry.data, sampleShape: entry.sampleShape, size: c.size, type: typeOfData(entry.data)! });
    }
  } else {
    if (typeof samples.input !== 'string' || samples.input === '') throw typeError(fn, `${arg}.input`, samples.input, 'the name of a graph input');
    const c = checkFeedFields(fn, arg, samples.data, samples.sampleShape, true);
    n = c.n;
    feeds.push({ name: samples.input, arg, data: samples.data, sampleShape: samples.sampleShape, size: c.size, type: typeOfData(samples.data)! });
  }
  if (model) checkAgainstInputs(fn, arg, 'inputs' in samples, feeds, model, modelName);
  return { n, feeds };
}

/** The feeds fit the graph's inputs: each fed input declared, every declared one fed, element types and static dims. */
function checkAgainstInputs(fn: string, arg: string, several: boolean, feeds: SampleFeed[], model: OnnxModel, modelName: string): void {
  const fed = onnxGraphIO(model).inputs;
  for (const f of feeds) {
    if (fed.includes(f.name)) continue;
    if (!several) throw rangeError(fn, `${arg}.input`, f.name, `a graph input of ${modelName} (${fed.join(', ')})`);
    throw rangeError(fn, f.arg, 'an entry', `the name of a graph input of ${modelName} (${fed.join(', ')})${didYouMean(f.name, fed)}`);
  }
  const missing = fed.filter((name) => !feeds.some((f) => f.name === name));
  if (missing.length > 0) {
    if (!several) throw rangeError(fn, arg, `samples of input ${show(feeds[0].name)} only`, `samples of every graph input of ${modelName} (${fed.join(', ')}): give { inputs: { name: { data, sampleShape } } }`);
    throw rangeError(fn, `${arg}.inputs`, `no entry for ${missing.map((m) => show(m)).join(', ')}`, `one entry per graph input of ${modelName} (${fed.join(', ')})`);
  }
  for (const f of feeds) checkFeed(fn, arg, several, f, model, modelName);
}

function checkFeed(fn: string, arg: string, several: boolean, f: SampleFeed, model: OnnxModel, modelName: string): void {
  const info = model.graph!.input!.find((i) => i.name === f.name)!;
  const tensor = info.type?.tensorType;
  if (!tensor) return;
  const want = FEED_TYPES[tensor.elemType as keyof typeof FEED_TYPES];
  if (!several && (want === undefined || (want.type !== 'float32' && want.type !== 'float64'))) {
    throw rangeError(fn, `${arg}.input`, f.name, `a FLOAT or DOUBLE input of ${modelName} (its element type code is ${show(tensor.elemType)}; feed others through { inputs: … })`);
  }
  if (want === undefined) throw rangeError(fn, f.arg, `input ${show(f.name)}`, `an input of ${modelName} of element type FLOAT, DOUBLE, INT64 or INT32 (its element type code is ${show(tensor.elemType)})`);
  if (!want.arrays.some((T) => f.data instanceof T)) {
    throw typeError(fn, `${f.arg}.data`, f.data, `${want.text} (input ${show(f.name)} of ${modelName} is ${want.type})`);
  }
  f.type = want.type;
  const dims = tensor.shape?.dim;
  if (!dims) return;
  const declared = dims.map((d) => (d.dimValue != null && Number(d.dimValue) > 0 ? Number(d.dimValue) : (d.dimParam || '?')));
  const text = `[${declared.join(', ')}]`;
  const at = `${f.arg}.sampleShape`;
  if (declared.length !== f.sampleShape.length + 1) {
    throw rangeError(fn, at, f.sampleShape, `the shape of one sample of input ${show(f.name)} of ${modelName}, declared ${text} (batch first)`);
  }
  f.sampleShape.forEach((d, i) => {
    const w = declared[i + 1];
    if (typeof w === 'number' && w !== d) {
      throw rangeError(fn, at, f.sampleShape, `the shape of one sample of input ${show(f.name)} of ${modelName}, declared ${text} (dimension ${i + 1} is ${w}, not ${d})`);
    }
  });
}

/** Batch size, threads and runtime from the options (onnxruntime-web loaded when none is given). */
export async function runSettings(fn: string, o: OnnxRunOptions): Promise<RunSettings> {
  if (o === null || typeof o !== 'object') throw typeError(fn, 'options', o, 'an object');
  const batchSize = o.batchSize === undefined ? 256 : checkInt(fn, 'options.batchSize', o.batchSize, 1);
  const threads = o.threads === undefined ? 1 : checkInt(fn, 'options.threads', o.threads, 1, 256);
  if (o.ort !== undefined && (typeof o.ort !== 'object' || o.ort === null || typeof o.ort.InferenceSession?.create !== 'function' || typeof o.ort.Tensor !== 'function')) {
    throw typeError(fn, 'options.ort', o.ort, "an onnxruntime module (import * as ort from 'onnxruntime-web' or 'onnxruntime-node')");
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw typeError(fn, 'options.onProgress', o.onProgress, 'a function');
  return { batchSize, threads, ort: o.ort ?? await webRuntime(threads) };
}

/** A session of the model bytes. */
export async function openSession(run: RunSettings, bytes: Uint8Array): Promise<OrtSessionLike> {
  return run.ort.InferenceSession.create(bytes, { intraOpNumThreads: run.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
}

/** One feed's batch [start, start + count) as an onnxruntime tensor (an Int32Array widened for an int64 input). */
function feedTensor(run: RunSettings, f: SampleFeed, start: number, count: number): OrtTensorLike {
  const data = f.data.subarray(start * f.size, (start + count) * f.size);
  let values: unknown = data;
  if (f.type === 'int64' && data instanceof Int32Array) {
    const wide = new BigInt64Array(data.length);
    for (let i = 0; i < data.length; i++) wide[i] = BigInt(data[i]);
    values = wide;
  }
  return new run.ort.Tensor(f.type, values, [count, ...f.sampleShape]);
}

/** Runs the model over the samples in batches (every input's batch fed), handing each batch's outputs to `each`. */
export async function forEachBatch(
  run: RunSettings, sess: OrtSessionLike, samples: SampleFeeds, fetches: string[],
  each: (outputs: Record<string, OrtTensorLike>, start: number, count: number) => void | Promise<void>, onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const n = samples.n;
  for (let start = 0; start < n; start += run.batchSize) {
    const count = Math.min(run.batchSize, n - start);
    const feeds: Record<string, OrtTensorLike> = {};
    for (const f of samples.feeds) feeds[f.name] = feedTensor(run, f, start, count);
    const outputs = await sess.run(feeds, fetches);
    try {
      await each(outputs, start, count); // done with the tensors' data before they are disposed
    } finally {
      for (const t of Object.values(outputs)) t.dispose?.();
    }
    onProgress?.(start + count, n);
  }
}

/** Rows of im2col per chunk a Conv input is split into (bounds the patch matrix in memory). */
const PATCH_ROWS = 8192;

/**
 * Adds one batch of a layer's input to its accumulator: `data` is the input tensor of shape `dims`
 * (batch first). A Gemm or MatMul reads it as rows of cols; a Conv goes through im2col, a chunk of
 * images at a time.
 */
export async function addLayerBatch(fn: string, la: Linalg, layer: OnnxLayer, stats: HessianAccumulator, data: Float32Array | Float64Array, dims: readonly number[]): Promise<void> {
  const what = `layer ${layer.node} input ${show(layer.input)}`;
  if (!layer.conv) {
    if (data.length % layer.cols !== 0) throw rangeError(fn, what, `${data.length} values`, `a multiple of the layer's ${layer.cols} inputs`);
    await stats.addBatch({ data, rows: data.length / layer.cols, cols: layer.cols });
    return;
  }
  const c = layer.conv;
  if (dims.length !== 4 || dims[1] !== c.channels) throw rangeError(fn, what, `shape [${dims.join(', ')}]`, `[N, ${c.channels}, H, W] (the Conv's ${c.channels} input channels)`);
  const [images, , height, width] = dims;
  const g = convGeometry(layer, height, width);
  const size = c.channels * height * width;
  if (data.length !== images * size) throw rangeError(fn, what, `${data.length} values`, `${images * size} for shape [${dims.join(', ')}]`);
  // Checked on the host first, so that an error names the tensor rather than a patch.
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw rangeError(fn, `${what}[${i}]`, data[i], 'a finite number');
  }
  const resolved = im2colGeometry(1, g, fn, `${what} geometry`);
  const perImage = resolved.outHeight * resolved.outWidth;
  const chunk = Math.max(1, Math.floor(PATCH_ROWS / perImage));
  const dtype = stats.dtype;
  for (let b = 0; b < images; b += chunk) {
    const k = Math.min(chunk, images - b);
    let X: Matrix | null = null, P: Matrix | null = null;
    try {
      X = la.fromArray(data.subarray(b * size, (b + k) * size), k, size, dtype);
      P = await la.im2col(X, g);
      await stats.addBatch(P);
    } finally {
      X?.free();
      P?.free();
    }
  }
}

/** The samples' batch of a graph input that a layer reads, or null when the layer reads no graph input. */
export function graphInputBatch(fn: string, layer: OnnxLayer, samples: SampleFeeds, start: number, count: number): { data: Float32Array | Float64Array; dims: number[] } | null {
  const f = samples.feeds.find((x) => x.name === layer.input);
  if (!f) return null;
  if (!(f.data instanceof Float32Array) && !(f.data instanceof Float64Array)) throw rangeError(fn, `${f.arg}.data`, `${f.type} samples`, `float samples (layer ${layer.node} reads input ${show(f.name)})`);
  return { data: f.data.subarray(start * f.size, (start + count) * f.size), dims: [count, ...f.sampleShape] };
}

/** The layer input in `outputs`, or the batch of samples when the layer reads a graph input. */
export function layerInput(fn: string, layer: OnnxLayer, samples: SampleFeeds, outputs: Record<string, OrtTensorLike>, start: number, count: number): { data: Float32Array | Float64Array; dims: number[] } {
  const own = graphInputBatch(fn, layer, samples, start, count);
  if (own) return own;
  const t = outputs[layer.input];
  if (!t || (t.type !== 'float32' && t.type !== 'float64')) throw rangeError(fn, `layer ${layer.node} input`, layer.input, 'a float tensor returned by onnxruntime');
  return { data: t.data as Float32Array | Float64Array, dims: [...t.dims] };
}

/**
 * The model with the layers' inputs added to its outputs (each declared with its layer's element
 * type, which Conv, Gemm and MatMul share with their input), as bytes; and the names to fetch.
 */
export function probeModel(model: OnnxModel, layers: OnnxLayer[], graphInputs: ReadonlySet<string>): { bytes: Uint8Array; fetched: string[] } {
  const fetched = [...new Set(layers.map((l) => l.input).filter((name) => !graphInputs.has(name)))];
  let probe = model;
  for (const dtype of ['float32', 'float64'] as const) {
    const names = fetched.filter((name) => layers.some((l) => l.input === name && l.dtype === dtype));
    if (names.length > 0) probe = withGraphOutputs(probe, names, onnxElemType(dtype));
  }
  return { bytes: encodeOnnxModel(probe), fetched };
}

/**
 * Runs the model over the samples and accumulates H = Σ XᵀX (float64) of each layer's input X.
 * A Gemm or MatMul input of shape [..., cols] is read as rows of cols (a Gemm's [batch, cols]; a
 * MatMul's [batch, positions, cols]); a Conv input [batch, C, H, W] as its im2col patches, one row
 * of C·kh·kw per output position. The model is not modified; onnxruntime runs a copy with the
 * layer inputs added to its outputs.
 *
 * @example
 * const model = decodeOnnxModel(await readFile('mnist-cnn.onnx'));
 * const images = mnistInputs(await readIdxFile('t10k-images-idx3-ubyte.gz'), 0, 5000);
 * const [conv1, conv2, fc1, fc2] = await captureLayerHessians(la, model, { input: 'input', data: images, sampleShape: [1, 28, 28] });
 * conv2.stats.samples;                             // 5000 · 14 · 14 patches
 * const r = await pruneLayer(la, W1, fc1.stats, { pruner: wanda(), pattern: '2:4' });
 */
export async function captureLayerHessians(la: Linalg, model: OnnxModel, samples: OnnxSamples, options: CaptureOptions = {}): Promise<LayerStatistics[]> {
  const fn = 'captureLayerHessians';
  const graphInputs = new Set(onnxGraphIO(model).inputs);
  if (samples && typeof samples === 'object' && !('inputs' in samples) && typeof samples.input === 'string' && !graphInputs.has(samples.input)) {
    throw rangeError(fn, 'samples.input', samples.input, `a graph input (${[...graphInputs].join(', ')})`);
  }
  const feeds = sampleFeeds(fn, samples, model);
  const layers = options.layers ?? onnxLayers(model);
  if (!Array.isArray(layers) || layers.length === 0) throw rangeError(fn, 'options.layers', layers, 'a non-empty array of layers (the model has no Conv, Gemm or MatMul with a weight initializer)');
  const run = await runSettings(fn, options);

  const { bytes, fetched } = probeModel(model, layers, graphInputs);
  const sess = await openSession(run, bytes);
  const out: LayerStatistics[] = [];
  try {
    for (const layer of layers) out.push({ layer, stats: new HessianAccumulator(la, layer.cols, { dtype: 'float64' }) });
    // onnxruntime wants something to fetch even when every layer reads the graph input.
    const fetches = fetched.length > 0 ? fetched : sess.outputNames.slice(0, 1);
    await forEachBatch(run, sess, feeds, fetches, async (outputs, start, count) => {
      for (const entry of out) {
        const { data, dims } = layerInput(fn, entry.layer, feeds, outputs, start, count);
        await addLayerBatch(fn, la, entry.layer, entry.stats, data, dims);
      }
    }, options.onProgress);
    return out;
  } catch (err) {
    for (const entry of out) entry.stats.free();
    throw err;
  } finally {
    await sess.release();
  }
}

/**
 * Top-1 accuracy of a classifier: the fraction of samples whose largest output (the graph's first
 * output, or `output`) is at the label's index. Runs in onnxruntime-web unless options.ort says otherwise.
 *
 * @example
 * const acc = await onnxTop1(bytes, { input: 'input', data: mnistInputs(images, 0, 2000), sampleShape: [1, 28, 28] }, mnistLabels(labels, 0, 2000));
 * // 0.9735
 */
export async function onnxTop1(modelBytes: Uint8Array, samples: OnnxSamples, labels: ArrayLike<number>, options: OnnxRunOptions & { output?: string } = {}): Promise<number> {
  const fn = 'onnxTop1';
  if (!(modelBytes instanceof Uint8Array)) throw typeError(fn, 'modelBytes', modelBytes, 'a Uint8Array of ONNX model bytes');
  const feeds = sampleFeeds(fn, samples);
  const n = feeds.n;
  if (!labels || labels.length !== n) throw rangeError(fn, 'labels', `${labels?.length} labels`, `one label per sample (${n})`);
  const run = await runSettings(fn, options);
  const sess = await openSession(run, modelBytes);
  try {
    const output = options.output ?? sess.outputNames[0];
    if (!sess.outputNames.includes(output)) throw rangeError(fn, 'options.output', output, `an output of the model (${sess.outputNames.join(', ')})`);
    let correct = 0;
    await forEachBatch(run, sess, feeds, [output], (outputs, start, count) => {
      const y = outputs[output].data as Float32Array | Float64Array;
      const classes = y.length / count;
      for (let s = 0; s < count; s++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (y[s * classes + c] > y[s * classes + best]) best = c;
        if (best === labels[start + s]) correct++;
      }
    }, options.onProgress);
    return n === 0 ? 0 : correct / n;
  } finally {
    await sess.release();
  }
}
