// Pruning a whole ONNX model, layer after layer, as SparseGPT prunes a transformer: the layers in
// graph (topological) order, each calibrated on the model as it is by then — every layer before it
// already pruned — so that a layer's H is taken from the inputs it will really see. For each layer:
// run onnxruntime on the model so far with the layer's input made an output, accumulate H (float64,
// im2col for a Conv), pruneLayer, write the pruned weight into the working copy, next layer.
// The caller's model and bytes are never modified; the result differs from the input only in the
// pruned initializers' values, each kept in its storage form (raw_data or float_data).
import { ArgumentRangeError, checkInt, checkKnownKeys, rangeError, show, typeError } from '../../core/errors.js';
import type { FloatArray } from '../../core/dtype.js';
import { continueIobs } from '../../pruning/given.js';
import type { Matrix } from '../../core/matrix.js';
import { Linalg } from '../../linalg/linalg.js';
import { HessianAccumulator } from '../../pruning/accumulator.js';
import { checkPattern, formatPattern, type Pattern } from '../../pruning/pattern.js';
import { pruneLayer } from '../../pruning/prune-layer.js';
import { continueAfterLoss } from '../device-loss.js';
import type { Pruner } from '../../pruning/types.js';
import type { LayerReport } from '../report.js';
import {
  type OnnxRunOptions, type OnnxSamples, type SampleFeeds, addLayerBatch, forEachBatch, graphInputBatch, layerInput, openSession, probeModel, runSettings, sampleFeeds,
} from './capture.js';
import {
  type OnnxLayer, type OnnxModel, type OnnxSkippedLayer, checkInitializer, copyOnnxModel, decodeOnnxModel, encodeOnnxModel, layerWeight, onnxGraphIO,
  onnxLayers, onnxSkippedLayers, setLayerWeight,
} from './reader.js';

/** Where pruneOnnx is: which layer, which stage, how far. */
export interface PruneOnnxProgress {
  /** The layer's node name. */
  layer: string;
  /** Its position among the layers (0-based) and their number. */
  index: number;
  layers: number;
  stage: 'capture' | 'prune';
  /** Progress of the stage in [0, 1]. */
  fraction: number;
}

/** Options of pruneOnnx. */
export interface PruneOnnxOptions extends Omit<OnnxRunOptions, 'onProgress'> {
  /** The pruner, with its own options: magnitude(), wanda(), sparseGPT({…}), obc({…}), iobs({…}). */
  pruner: Pruner;
  /** Which weights of each layer are pruned: a Pattern or its text ('2:4', '0.5', '0.5/row'). Give this or `sparsity`. */
  pattern?: Pattern | string;
  /** Unstructured sparsity in [0, 1), the same as pattern { kind: 'unstructured', sparsity }. */
  sparsity?: number;
  /** Only these layers (node or weight names) are pruned; the others stay dense. Default: every layer. */
  layers?: string[];
  /** Name of the model in error messages (a path, say; default 'model'). */
  name?: string;
  /** Called as the work goes on. */
  onProgress?: (p: PruneOnnxProgress) => void;
  /** Called with each layer's report as soon as the layer is done (pruned or left dense). */
  onLayer?: (report: PrunedLayerReport) => void;
  /**
   * Where warnings go (default console.warn): on a lost GPU device the run goes on with the host
   * backend, redoing the layer it was in, and says so here.
   */
  warn?: (message: string) => void;
  /**
   * Sequential passes over the model (default 1); more needs an iobs() pruner and `validation`.
   * Pass p > 1 recalibrates every layer on the model so far (its layers before it pruned in this
   * pass) and starts its I-OBS from the layer's weights and mask of pass p − 1.
   */
  passes?: number;
  /**
   * Samples held apart from calibration: after each pass the model's output on them is compared
   * with the dense model's (Σ‖f̂(x) − f(x)‖² / Σ‖f(x)‖², the graph's first output), and the pass
   * with the least such loss is returned.
   */
  validation?: OnnxSamples;
}

/** What happened to one layer. */
export interface PrunedLayerReport {
  node: string;
  op: OnnxLayer['op'];
  weight: string;
  rows: number;
  cols: number;
  /** The pattern applied ('2:4', '50%'), or null when the layer was left dense. */
  pattern: string | null;
  /** Why the layer was left dense (null when it was pruned). */
  dense: string | null;
  /** Fraction of the layer's weights that are zero after pruning (pruned by the pattern). */
  sparsity: number;
  /** tr(ΔHΔᵀ)/tr(WHWᵀ) on the layer's calibration inputs (0 when dense). */
  relError: number;
  /** Rows of X the layer's H was accumulated from (samples, or patches for a Conv; 0 when dense). */
  calibrationRows: number;
  /** Damping used by the pruner (null when none, or dense). */
  dampUsed: number | null;
  warnings: string[];
  /** Wall-clock seconds: the capture (running the model so far and accumulating H), the pruner, and all of the layer. */
  captureSeconds: number;
  pruneSeconds: number;
  seconds: number;
}

/** A layer's report in the whole-model form every format shares (the tables, the figure, --json). */
export function layerReport(l: PrunedLayerReport): LayerReport {
  return { name: l.node, op: l.op, rows: l.rows, cols: l.cols, pattern: l.pattern, dense: l.dense ?? undefined, sparsity: l.sparsity, relError: l.relError, seconds: l.seconds };
}

/** What pruneOnnx returns. */
export interface PruneOnnxResult {
  /** The pruned model (a new ModelProto; the input is untouched). */
  model: OnnxModel;
  /** Its encoding, a valid .onnx file. */
  bytes: Uint8Array;
  /** One report per layer, in graph order. */
  layers: PrunedLayerReport[];
  /** The Conv, Gemm and MatMul nodes that are not layers (grouped Conv, computed weight, …), with the reason. */
  skipped: OnnxSkippedLayer[];
  /** Fraction of the layers' weights that are zero, over every layer (dense ones included). */
  sparsity: number;
  seconds: number;
  /** The backend that pruned the last layer: la's, or its host backend after a lost GPU device (la.recover()). */
  backend: string;
  /** Each pass's validation loss (NaN without validation samples), and the pass returned (1-based). */
  passes: { pass: number; validationLoss: number }[];
  chosenPass: number;
}

const FN = 'pruneOnnx';
const KNOWN = ['pruner', 'pattern', 'sparsity', 'layers', 'name', 'onProgress', 'onLayer', 'batchSize', 'threads', 'ort', 'passes', 'validation', 'warn'];

/**
 * Prunes every Conv, Gemm and MatMul layer of an ONNX model (see onnxLayers) in graph order, each
 * calibrated on `samples` run through the model with the layers before it already pruned. An N:M
 * pattern applies to the layers whose inputs are a multiple of M; the others stay dense and their
 * report says why (as it does for layers left out by options.layers). Everything is checked before
 * any work: bytes that are not ONNX, a model with nothing to prune, a weight of an element type
 * other than FLOAT/DOUBLE, a weight whose stored data does not match its dims, samples that do not
 * fit the graph input's declared shape or type.
 * `model` (a ModelProto or .onnx bytes) is not modified.
 *
 * @example
 * const samples = { input: 'input', data: mnistInputs(images, 0, 512), sampleShape: [1, 28, 28] };
 * const r = await pruneOnnx(la, await readFile('mnist-cnn.onnx'), samples, { pruner: sparseGPT(), pattern: '2:4' });
 * r.layers.map((l) => `${l.node} ${l.pattern ?? 'dense: ' + l.dense} ${l.relError.toExponential(2)}`);
 * // ['/conv1/Conv dense: 9 inputs are not a multiple of 4 …', '/conv2/Conv 2:4 1.2e-2', …]
 * await writeFile('mnist-cnn-2of4.onnx', r.bytes);
 */
export async function pruneOnnx(la: Linalg, model: OnnxModel | Uint8Array, samples: OnnxSamples, options: PruneOnnxOptions): Promise<PruneOnnxResult> {
  const t0 = now();
  // ---- everything checked before any work ----
  if (!(la instanceof Linalg)) throw typeError(FN, 'la', la, 'a Linalg (from init())');
  if (typeof options !== 'object' || options === null) throw typeError(FN, 'options', options, "an object such as { pruner: sparseGPT(), pattern: '2:4' }");
  checkKnownKeys(FN, 'options', options, KNOWN);
  const name = options.name === undefined ? 'model' : String(options.name);
  const source: OnnxModel = model instanceof Uint8Array ? decodeOnnxModel(model, name) : checkModel(model, name);
  const pruner = options.pruner;
  if (typeof pruner !== 'object' || pruner === null || typeof pruner.run !== 'function' || typeof pruner.checkPattern !== 'function') {
    throw typeError(FN, 'options.pruner', pruner, "a pruner such as sparseGPT(), magnitude() or makePruner('wanda')");
  }
  const pattern = patternOf(options);
  pruner.checkPattern(pattern);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw typeError(FN, 'options.onProgress', options.onProgress, 'a function');
  if (options.onLayer !== undefined && typeof options.onLayer !== 'function') throw typeError(FN, 'options.onLayer', options.onLayer, 'a function');
  if (options.warn !== undefined && typeof options.warn !== 'function') throw typeError(FN, 'options.warn', options.warn, 'a function');
  const warn = options.warn ?? ((m: string) => console.warn(m));

  const skipped = onnxSkippedLayers(source);
  const badType = skipped.find((s) => s.unsupportedType);
  if (badType) throw rangeError(FN, name, `node ${show(badType.node)}: ${badType.reason}`, 'a model whose Conv, Gemm and MatMul weights are FLOAT (or DOUBLE) initializers');
  const layers = onnxLayers(source);
  checkWeights(source, name, layers, skipped);
  if (layers.length === 0) {
    const ops = [...new Set(source.graph!.node!.map((n) => n.opType))].join(', ');
    const why = skipped.length > 0 ? `; ${skipped.map((s) => `${s.node}: ${s.reason}`).join('; ')}` : '';
    throw rangeError(FN, name, `a graph of ${source.graph!.node!.length} nodes (${ops})${why}`, 'a model with at least one prunable layer (a Conv, Gemm or MatMul whose weight is a float initializer)');
  }
  const chosen = chosenLayers(options.layers, layers);
  const feeds = sampleFeeds(FN, samples, source, name);
  const n = feeds.n;
  if (n === 0) throw rangeError(FN, feeds.feeds.length === 1 ? `${feeds.feeds[0].arg}.data` : 'samples.inputs', 'no samples', 'at least one calibration sample');
  const graphInputs = new Set(onnxGraphIO(source).inputs);
  const passes = checkInt(FN, 'options.passes', options.passes ?? 1, 1, 100);
  if (passes > 1 && pruner.method !== 'iobs') throw rangeError(FN, 'options.passes', passes, `1 for ${pruner.method} (passes repeat I-OBS from the previous pass; use iobs())`);
  if (passes > 1 && options.validation === undefined) throw rangeError(FN, 'options.validation', undefined, 'samples held apart from calibration, to choose the pass by (passes > 1)');
  const validation = options.validation === undefined ? null : sampleFeeds(FN, options.validation, source, name, 'options.validation');
  if (validation !== null && validation.n === 0) throw rangeError(FN, 'options.validation', 'no samples', 'at least one validation sample');
  const run = await runSettings(FN, { batchSize: options.batchSize, threads: options.threads, ort: options.ort });
  const denseBytes = options.validation === undefined ? null : encodeOnnxModel(source);

  let best: { pass: number; loss: number; current: OnnxModel; reports: PrunedLayerReport[]; zeros: number; weights: number } | null = null;
  const history: { pass: number; validationLoss: number }[] = [];
  let carried = new Map<string, { weight: FloatArray; mask: Uint8Array }>();
  for (let pass = 1; pass <= passes; pass++) {
  const next = new Map<string, { weight: FloatArray; mask: Uint8Array }>();
  // ---- layer by layer, on a working copy ----
  const current = copyOnnxModel(source);
  const reports: PrunedLayerReport[] = [];
  let zeros = 0, weights = 0;
  for (const [index, layer] of layers.entries()) {
    const started = now();
    const progress = (stage: 'capture' | 'prune', fraction: number) => options.onProgress?.({ layer: layer.node, index, layers: layers.length, stage, fraction });
    const dense = !chosen.has(layer) ? 'not among options.layers'
      : pattern.kind === 'nm' && layer.cols % pattern.m !== 0 ? `its ${layer.cols} inputs are not a multiple of ${pattern.m} (${formatPattern(pattern)} needs groups of ${pattern.m})`
      : null;
    const base = { node: layer.node, op: layer.op, weight: layer.weight, rows: layer.rows, cols: layer.cols };
    weights += layer.rows * layer.cols;
    if (dense !== null) {
      const w = layerWeight(current, layer);
      let z = 0;
      for (let i = 0; i < w.length; i++) if (w[i] === 0) z++;
      zeros += z;
      reports.push({ ...base, pattern: null, dense, sparsity: z / w.length, relError: 0, calibrationRows: 0, dampUsed: null, warnings: [], captureSeconds: 0, pruneSeconds: 0, seconds: (now() - started) / 1000 });
      options.onLayer?.(reports[reports.length - 1]);
      continue;
    }
    // A lost GPU device loses this layer's statistics only: the layer is redone on the host
    // backend from the model so far (every earlier layer is already in `current`).
    for (;;) {
      try {
        progress('capture', 0);
        const stats = await captureInput(la, current, layer, feeds, run, graphInputs, (done) => progress('capture', done / n));
        const captureSeconds = (now() - started) / 1000;
        let W: Matrix | null = null;
        try {
          W = la.fromArray(layerWeight(current, layer), layer.rows, layer.cols, layer.dtype);
          progress('prune', 0);
          const from = carried.get(layer.weight);
          let layerPruner = pruner;
          const starts: Matrix[] = [];
          if (from) {
            const W0 = la.fromArray(from.weight, layer.rows, layer.cols, layer.dtype), M0 = la.fromArray(from.mask, layer.rows, layer.cols, 'uint8');
            starts.push(W0, M0 as unknown as Matrix);
            layerPruner = continueIobs(pruner, W0, M0, `pass ${pass - 1}`);
          }
          let r;
          try {
            r = await pruneLayer(la, W, stats, { pruner: layerPruner, pattern, onProgress: (f) => progress('prune', f) });
          } finally {
            for (const M of starts) M.free();
          }
          try {
            const pruned = await la.read(r.weight);
            if (passes > 1) next.set(layer.weight, { weight: pruned, mask: await la.read(r.mask) as Uint8Array });
            setLayerWeight(current, layer, pruned, FN);
            let z = 0;
            for (let i = 0; i < pruned.length; i++) if (pruned[i] === 0) z++;
            zeros += z;
            reports.push({
              ...base, pattern: formatPattern(pattern), dense: null, sparsity: r.sparsity, relError: r.relError, calibrationRows: stats.samples,
              dampUsed: r.dampUsed, warnings: r.warnings, captureSeconds, pruneSeconds: r.seconds, seconds: (now() - started) / 1000,
            });
            options.onLayer?.(reports[reports.length - 1]);
          } finally {
            r.weight.free();
            r.mask.free();
          }
        } finally {
          W?.free();
          stats.free();
        }
        break;
      } catch (e) {
        la = await continueAfterLoss(la, e, warn, `layer ${layer.node} is redone there; the ${index} layer${index === 1 ? '' : 's'} before it ${index === 1 ? 'is' : 'are'} kept`);
      }
    }
    progress('prune', 1);
  }
  const loss = denseBytes === null ? NaN : await outputLoss(run, denseBytes, encodeOnnxModel(current), validation!);
  history.push({ pass, validationLoss: loss });
  if (best === null || loss < best.loss) best = { pass, loss, current, reports, zeros, weights };
  carried = next;
  }
  const b = best!;
  return {
    model: b.current, bytes: encodeOnnxModel(b.current), layers: b.reports, skipped, sparsity: b.weights === 0 ? 0 : b.zeros / b.weights,
    seconds: (now() - t0) / 1000, backend: la.backendName, passes: history, chosenPass: b.pass,
  };
}

/** Σ‖f̂(x) − f(x)‖² / Σ‖f(x)‖² over the samples, f the dense model's first output and f̂ the pruned one's. */
async function outputLoss(run: Awaited<ReturnType<typeof runSettings>>, denseBytes: Uint8Array, prunedBytes: Uint8Array, samples: SampleFeeds): Promise<number> {
  const outputsOf = async (bytes: Uint8Array): Promise<Float64Array> => {
    const sess = await openSession(run, bytes);
    try {
      const name = sess.outputNames[0];
      const parts: Float64Array[] = [];
      await forEachBatch(run, sess, samples, [name], (outputs) => { parts.push(Float64Array.from(outputs[name].data as Float32Array)); });
      const all = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
      let at = 0;
      for (const p of parts) { all.set(p, at); at += p.length; }
      return all;
    } finally {
      await sess.release();
    }
  };
  const f = await outputsOf(denseBytes), g = await outputsOf(prunedBytes);
  let num = 0, den = 0;
  for (let i = 0; i < f.length; i++) { num += (g[i] - f[i]) ** 2; den += f[i] ** 2; }
  return den === 0 ? num : num / den;
}

/** H of one layer's input on the model as it is now (the samples themselves when it reads the graph input). */
async function captureInput(
  la: Linalg, model: OnnxModel, layer: OnnxLayer, samples: SampleFeeds, run: Awaited<ReturnType<typeof runSettings>>,
  graphInputs: ReadonlySet<string>, onProgress: (done: number) => void,
): Promise<HessianAccumulator> {
  const stats = new HessianAccumulator(la, layer.cols, { dtype: 'float64' });
  try {
    const n = samples.n;
    if (graphInputs.has(layer.input)) {
      for (let start = 0; start < n; start += run.batchSize) {
        const count = Math.min(run.batchSize, n - start);
        const { data, dims } = graphInputBatch(FN, layer, samples, start, count)!;
        await addLayerBatch(FN, la, layer, stats, data, dims);
        onProgress(start + count);
      }
      return stats;
    }
    const { bytes, fetched } = probeModel(model, [layer], graphInputs);
    const sess = await openSession(run, bytes);
    try {
      await forEachBatch(run, sess, samples, fetched, async (outputs, start, count) => {
        const { data, dims } = layerInput(FN, layer, samples, outputs, start, count);
        await addLayerBatch(FN, la, layer, stats, data, dims);
      }, onProgress);
    } finally {
      await sess.release();
    }
    return stats;
  } catch (err) {
    stats.free();
    throw err;
  }
}

/** The pattern from options.pattern or options.sparsity (exactly one). */
function patternOf(o: PruneOnnxOptions): Pattern {
  if (o.pattern !== undefined && o.sparsity !== undefined) throw rangeError(FN, 'options.sparsity', o.sparsity, 'absent when options.pattern is given (give one of them)');
  if (o.pattern === undefined && o.sparsity === undefined) throw rangeError(FN, 'options.pattern', undefined, "a pattern such as '2:4' or '0.5' (or options.sparsity)");
  if (o.sparsity !== undefined) return checkPattern(FN, 'options.sparsity', { kind: 'unstructured', sparsity: o.sparsity }, 1);
  // Checked as for a layer whose inputs fit any group size; each layer's own fit is decided below.
  const p = o.pattern;
  const m = typeof p === 'object' && p !== null && (p as Pattern).kind === 'nm' ? (p as { m: unknown }).m : null;
  const text = typeof p === 'string' ? /^(\d+):(\d+)$/.exec(p) : null;
  const cols = text ? Number(text[2]) || 1 : typeof m === 'number' && Number.isInteger(m) && m > 0 ? m : 1;
  return checkPattern(FN, 'options.pattern', p, cols);
}

/** The layers options.layers names (node or weight names), each name checked; all when absent. */
function chosenLayers(names: unknown, layers: OnnxLayer[]): Set<OnnxLayer> {
  if (names === undefined) return new Set(layers);
  if (!Array.isArray(names) || names.some((x) => typeof x !== 'string')) throw typeError(FN, 'options.layers', names, 'an array of layer node or weight names');
  const out = new Set<OnnxLayer>();
  for (const x of names as string[]) {
    const l = layers.find((l) => l.node === x || l.weight === x);
    if (!l) throw rangeError(FN, 'options.layers', x, `a layer of the model (${layers.map((l) => l.node).join(', ')})`);
    out.add(l);
  }
  return out;
}

/**
 * Every Conv, Gemm and MatMul weight initializer (of the layers, and of the skipped nodes but for
 * those of another element type) holds the values its dims say, checked without reading it: a
 * truncated or mislabelled weight is refused before any work, not when its layer's turn comes.
 */
function checkWeights(model: OnnxModel, name: string, layers: OnnxLayer[], skipped: OnnxSkippedLayer[]): void {
  const inits = new Set(model.graph!.initializer!.map((t) => t.name));
  const weights = new Set([...layers.map((l) => l.weight), ...skipped.filter((s) => s.weight !== null && !s.unsupportedType).map((s) => s.weight!)]);
  for (const w of weights) {
    if (!inits.has(w)) continue; // a computed weight: nothing stored to check
    try {
      checkInitializer(model, w, FN);
    } catch (err) {
      if (!(err instanceof ArgumentRangeError)) throw err;
      throw rangeError(FN, name, `initializer ${show(w)}: ${String(err.value)}`, `a model whose weight initializers hold what their dims say (${err.reason})`);
    }
  }
}

function checkModel(model: unknown, name: string): OnnxModel {
  const m = model as OnnxModel;
  if (!m || typeof m !== 'object' || !m.graph || !Array.isArray(m.graph.node)) throw typeError(FN, name, model, 'a decoded ONNX model (decodeOnnxModel) or the bytes of an .onnx file');
  return m;
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}
