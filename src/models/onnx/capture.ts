// Calibration statistics of an ONNX model's linear layers, captured by running the model in
// onnxruntime-node (Node only): every layer's input is made a graph output, the model runs batch by
// batch, and each batch X_b (one row per sample, or per position for inputs of rank > 2) is added
// to the layer's float64 H += X_bᵀX_b. Only one batch is in memory at a time. Also: top-1 accuracy
// of a classifier, for checking the preprocessing and measuring a pruned model.
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { checkInt, rangeError, typeError } from '../../core/errors.js';
import type { Linalg } from '../../linalg/linalg.js';
import { HessianAccumulator } from '../../pruning/accumulator.js';
import { type OnnxLinearLayer, type OnnxModel, encodeOnnxModel, onnxElemType, onnxGraphIO, onnxLinearLayers, withGraphOutputs } from './reader.js';

// onnxruntime-node is CommonJS with a native addon; load it through require so that it works the
// same from a bundle, from vitest and from plain Node ESM.
let ortModule: typeof Ort | undefined;
function ort(): typeof Ort {
  ortModule ??= createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;
  return ortModule;
}

/** Samples for the model's input: `data` holds N samples of `sampleShape` each, in C order. */
export interface OnnxSamples {
  /** The graph input they feed. */
  input: string;
  /** float32 for a FLOAT input, float64 for a DOUBLE one. */
  data: Float32Array | Float64Array;
  /** Shape of one sample (the input's shape without the batch dimension), e.g. [1, 28, 28]. */
  sampleShape: number[];
}

/** Options of captureLayerHessians and onnxTop1. */
export interface OnnxRunOptions {
  /** Samples per run of the model (default 256). */
  batchSize?: number;
  /** onnxruntime intra-op threads (default 1). */
  threads?: number;
  /** Called after each batch with the samples done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Options of captureLayerHessians. */
export interface CaptureOptions extends OnnxRunOptions {
  /** The layers to capture (default: every layer onnxLinearLayers finds). */
  layers?: OnnxLinearLayer[];
}

/** One layer's calibration statistics. */
export interface LayerStatistics {
  layer: OnnxLinearLayer;
  /**
   * H = Σ XᵀX over every captured row X of the layer's input (float64 staging and sum), in la's
   * memory: pass it to pruneLayer, or read it with hessian('float64'); the caller frees it.
   */
  stats: HessianAccumulator;
}

/** Number of samples in `samples`, after checking its fields. */
function sampleCount(fn: string, samples: OnnxSamples): number {
  if (!samples || typeof samples !== 'object') throw typeError(fn, 'samples', samples, 'an object { input, data, sampleShape }');
  if (typeof samples.input !== 'string' || samples.input === '') throw typeError(fn, 'samples.input', samples.input, 'the name of a graph input');
  if (!(samples.data instanceof Float32Array) && !(samples.data instanceof Float64Array)) {
    throw typeError(fn, 'samples.data', samples.data, 'a Float32Array or Float64Array');
  }
  if (!Array.isArray(samples.sampleShape) || samples.sampleShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw typeError(fn, 'samples.sampleShape', samples.sampleShape, 'an array of positive integers');
  }
  const size = samples.sampleShape.reduce((a, b) => a * b, 1);
  if (samples.data.length % size !== 0) {
    throw rangeError(fn, 'samples.data', `length ${samples.data.length}`, `a multiple of the sample size ${size} ([${samples.sampleShape.join(', ')}])`);
  }
  return samples.data.length / size;
}

function runSettings(fn: string, o: OnnxRunOptions): { batchSize: number; threads: number } {
  if (o === null || typeof o !== 'object') throw typeError(fn, 'options', o, 'an object');
  const batchSize = o.batchSize === undefined ? 256 : checkInt(fn, 'options.batchSize', o.batchSize, 1);
  const threads = o.threads === undefined ? 1 : checkInt(fn, 'options.threads', o.threads, 1, 256);
  return { batchSize, threads };
}

async function session(bytes: Uint8Array, threads: number): Promise<Ort.InferenceSession> {
  return ort().InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
}

/** Runs the model over the samples in batches, handing each batch's outputs to `each`. */
async function forEachBatch(
  sess: Ort.InferenceSession, samples: OnnxSamples, n: number, batchSize: number, fetches: string[],
  each: (outputs: Record<string, Ort.Tensor>, start: number, count: number) => void | Promise<void>, onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const size = samples.sampleShape.reduce((a, b) => a * b, 1);
  const { Tensor } = ort();
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const data = samples.data.subarray(start * size, (start + count) * size);
    const x = data instanceof Float64Array ? new Tensor('float64', data, [count, ...samples.sampleShape]) : new Tensor('float32', data, [count, ...samples.sampleShape]);
    const outputs = await sess.run({ [samples.input]: x }, fetches);
    try {
      await each(outputs, start, count); // done with the tensors' data before they are disposed
    } finally {
      for (const t of Object.values(outputs)) t.dispose?.();
    }
    onProgress?.(start + count, n);
  }
}

/**
 * Runs the model over the samples and accumulates H = Σ XᵀX (float64) of each linear layer's input X.
 * A layer input of shape [..., cols] is read as rows of cols (a Gemm's [batch, cols]; a MatMul's
 * [batch, positions, cols]). The model is not modified; onnxruntime runs a copy with the layer
 * inputs added to its outputs.
 *
 * @example
 * const model = decodeOnnxModel(await readFile('mnist-cnn.onnx'));
 * const images = mnistInputs(await readIdxFile('t10k-images-idx3-ubyte.gz'), 0, 5000);
 * const [fc1, fc2] = await captureLayerHessians(la, model, { input: 'input', data: images, sampleShape: [1, 28, 28] });
 * fc1.stats.samples;                               // 5000
 * const r = await pruneLayer(la, W1, fc1.stats, { pruner: wanda(), pattern: '2:4' });
 */
export async function captureLayerHessians(la: Linalg, model: OnnxModel, samples: OnnxSamples, options: CaptureOptions = {}): Promise<LayerStatistics[]> {
  const fn = 'captureLayerHessians';
  const n = sampleCount(fn, samples);
  const { batchSize, threads } = runSettings(fn, options);
  const layers = options.layers ?? onnxLinearLayers(model);
  if (!Array.isArray(layers) || layers.length === 0) throw rangeError(fn, 'options.layers', layers, 'a non-empty array of layers (the model has no Gemm/MatMul with a weight initializer)');
  const graphInputs = new Set(onnxGraphIO(model).inputs);
  if (!graphInputs.has(samples.input)) throw rangeError(fn, 'samples.input', samples.input, `a graph input (${[...graphInputs].join(', ')})`);

  // A layer fed straight by the graph input reads the samples themselves.
  const fetched = [...new Set(layers.map((l) => l.input).filter((name) => !graphInputs.has(name)))];
  // Gemm and MatMul take inputs of their weight's type, so each new output is declared as that.
  let probeModel = model;
  for (const dtype of ['float32', 'float64'] as const) {
    const names = fetched.filter((name) => layers.some((l) => l.input === name && l.dtype === dtype));
    if (names.length > 0) probeModel = withGraphOutputs(probeModel, names, onnxElemType(dtype));
  }
  const probe = encodeOnnxModel(probeModel);
  const sess = await session(probe, threads);
  const out: LayerStatistics[] = [];
  try {
    for (const layer of layers) out.push({ layer, stats: new HessianAccumulator(la, layer.cols, { dtype: 'float64' }) });
    // onnxruntime wants something to fetch even when every layer reads the graph input.
    const fetches = fetched.length > 0 ? fetched : sess.outputNames.slice(0, 1);
    await forEachBatch(sess, samples, n, batchSize, fetches, async (outputs, start, count) => {
      for (const entry of out) {
        const { input, cols, node } = entry.layer;
        let data: ArrayLike<number>;
        if (input === samples.input) {
          const size = samples.data.length / n;
          data = samples.data.subarray(start * size, (start + count) * size);
        } else {
          const t = outputs[input];
          if (!t || (t.type !== 'float32' && t.type !== 'float64')) throw rangeError(fn, `layer ${node} input`, input, 'a float tensor returned by onnxruntime');
          data = t.data as Float32Array | Float64Array;
        }
        if (data.length % cols !== 0) throw rangeError(fn, `layer ${node} input ${input}`, `${data.length} values`, `a multiple of the layer's ${cols} inputs`);
        await entry.stats.addBatch({ data, rows: data.length / cols, cols });
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
 * output, or `output`) is at the label's index.
 *
 * @example
 * const acc = await onnxTop1(bytes, { input: 'input', data: mnistInputs(images, 0, 2000), sampleShape: [1, 28, 28] }, mnistLabels(labels, 0, 2000));
 * // 0.9735
 */
export async function onnxTop1(modelBytes: Uint8Array, samples: OnnxSamples, labels: ArrayLike<number>, options: OnnxRunOptions & { output?: string } = {}): Promise<number> {
  const fn = 'onnxTop1';
  if (!(modelBytes instanceof Uint8Array)) throw typeError(fn, 'modelBytes', modelBytes, 'a Uint8Array of ONNX model bytes');
  const n = sampleCount(fn, samples);
  if (!labels || labels.length !== n) throw rangeError(fn, 'labels', `${labels?.length} labels`, `one label per sample (${n})`);
  const { batchSize, threads } = runSettings(fn, options);
  const sess = await session(modelBytes, threads);
  try {
    const output = options.output ?? sess.outputNames[0];
    if (!sess.outputNames.includes(output)) throw rangeError(fn, 'options.output', output, `an output of the model (${sess.outputNames.join(', ')})`);
    let correct = 0;
    await forEachBatch(sess, samples, n, batchSize, [output], (outputs, start, count) => {
      const t = outputs[output];
      const y = t.data as Float32Array | Float64Array;
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
