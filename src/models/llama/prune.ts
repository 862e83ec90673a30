// Whole-model pruning of a Llama, sequential as SparseGPT does it: the calibration windows are
// embedded once, then block after block (true-sequential inside a block: q/k/v, then o, then
// gate/up, then down) each group of projections is calibrated on the outputs of what is already
// pruned, pruned against its dense weight, and put in place before the next group is calibrated;
// the block's pruned output feeds the next block. By default (options.target 'dense') each layer is
// pruned to reproduce the dense model's outputs: the dense model's residual streams run beside the
// pruned ones, C = X_pᵀX_d is accumulated beside H, and the pruner runs on denseTarget's W̃.
// Memory holds one block's weights and the calibration activations (samples x seqlen x hidden,
// twice for the dense target), never the whole model.
//
// I-OBS passes (the paper's whole-model iteration): pass p > 1 repeats the sequential pass on the
// model pass p−1 made, every layer's I-OBS starting from its pass p−1 weights and mask; the pass
// kept is the one with the least loss on validation windows held apart from calibration, scored
// block by block from the pass's store (sourcePerplexity), so the pruned model is never loaded
// whole. Each pass's pruned weights and masks go to a PassStore (memory by default; a file with
// options.passStore), which the next pass starts from and the kept pass is returned in.
import { checkInt, checkKnownKeys, rangeError, typeError } from '../../core/errors.js';
import type { Mask, Matrix } from '../../core/matrix.js';
import type { Linalg } from '../../linalg/linalg.js';
import { HessianAccumulator } from '../../pruning/accumulator.js';
import { continueIobs } from '../../pruning/given.js';
import { formatPattern, type Pattern } from '../../pruning/pattern.js';
import { pruneLayer } from '../../pruning/prune-layer.js';
import type { Pruner } from '../../pruning/types.js';
import { layerPattern, modelPattern } from '../layer-pattern.js';
import type { LayerReport } from '../report.js';
import type { TensorSource } from '../tensor-source.js';
import type { LlamaConfig } from './config.js';
import { llamaBlock } from './forward.js';
import { sourcePerplexity } from './perplexity.js';
import { embeddingTensorName, freeLlamaBlock, LLAMA_PROJECTIONS, llamaTensorName, loadLlamaBlock, projectionShape, type LlamaProjection } from './weights.js';
import { memoryPassStore, storeSource, type PassStore, type PassStoreFactory } from '../pass-store.js';
import { CrossAccumulator } from '../../pruning/cross-accumulator.js';
import { denseTarget } from '../../pruning/target.js';
import { continueAfterLoss } from '../device-loss.js';
import { checkChoice } from '../../linalg/checks.js';

/** The tensor the head reads: lm_head.weight, or the embedding when tied (the one tensor a tied checkpoint may store under either name). */
function headTensorName(cfg: LlamaConfig, source: TensorSource): string {
  return cfg.tieWordEmbeddings ? embeddingTensorName(cfg, source) : 'lm_head.weight';
}

/** The groups of a block calibrated one after the other: each group shares its input. */
const GROUPS: readonly (readonly LlamaProjection[])[] = [['q_proj', 'k_proj', 'v_proj'], ['o_proj'], ['gate_proj', 'up_proj'], ['down_proj']];

/** Options of pruneLlama. */
export interface LlamaPruneOptions {
  /** The layer pruner for every projection (magnitude(), wanda(), sparseGPT(), obc(), iobs()). */
  pruner: Pruner;
  /** '2:4', '0.5', '0.5/row' or a Pattern; an N:M pattern skips (keeps dense) layers whose inputs are not a multiple of M. */
  pattern: Pattern | string;
  /** Calibration windows of token ids (from calibrationWindows), each at most max_position_embeddings long. */
  calibration: readonly (readonly number[])[];
  /** Stories (token ids from BOS) held apart from calibration, scored after each pass to choose one; needed when passes > 1. */
  validation?: readonly (readonly number[])[];
  /** Sequential passes (default 1); more than one needs an iobs() pruner. */
  passes?: number;
  /** Which projections to prune (default all seven). */
  projections?: readonly LlamaProjection[];
  /**
   * Also prune the output head (default false), last, calibrated on the final norm of the pruned
   * model. With tied embeddings the head is the embedding matrix, so the embeddings are pruned too.
   */
  head?: boolean;
  /**
   * Called with each pruned tensor's name and values (float32, [out, in]) as soon as it is ready,
   * e.g. to write it out (LlamaWeightsWriter). With one pass and no validation the tensors are then
   * not kept: the result's `tensors` is empty and the pruned weights are never held together.
   * With passes, every pass's tensors come through (the pass number is given) and the kept pass's
   * tensors are also in the result (or its store).
   */
  onTensor?: (name: string, values: Float32Array, pass: number) => Promise<void> | void;
  /** Called after each layer is pruned, and with a line of progress text. */
  onLayer?: (report: LayerReport) => void;
  onProgress?: (message: string) => void;
  /**
   * Where warnings go (default console.warn): on a lost GPU device the pass goes on with the host
   * backend, reusing the layers already pruned, and says so here.
   */
  warn?: (message: string) => void;
  /**
   * Where each pass's pruned weights and masks are kept (with passes, validation, or no onTensor):
   * a factory called once per pass. Default: host memory (memoryPassStore), and the kept pass comes
   * back in `tensors`. Given one (`iobs prune` gives a file store, src/io/pass-store-node.ts),
   * `tensors` is empty and the kept pass's store comes back in `store` (the caller reads it and
   * frees it); every other store is freed as soon as no pass needs it, also on error.
   */
  passStore?: PassStoreFactory;
  /**
   * What each layer is pruned to reproduce (default 'dense'). 'dense': the dense model's outputs,
   * ‖X_d Wᵀ − X_p Ŵᵀ‖² with X_p the layer's inputs in the model being pruned and X_d the dense
   * model's — the pruner runs on the target W̃ = W (C + λI)ᵀ (H + λI)⁻¹ (denseTarget), so each
   * layer also corrects the error of the pruned layers before it; it applies to the pruners that
   * reconstruct (SparseGPT, OBC, I-OBS; magnitude and Wanda prune W itself), keeps the dense
   * model's residual streams beside the pruned ones (twice the activations) and reports each
   * layer's relative error against W̃. 'self': SparseGPT's protocol, ‖(W − Ŵ) X_pᵀ‖², each layer's
   * own dense weight on the pruned inputs.
   */
  target?: 'dense' | 'self';
}

/** What one pass produced. */
export interface LlamaPass {
  pass: number;
  layers: LayerReport[];
  /** Mean negative log-likelihood per token on the validation stories (natural log); NaN without validation. */
  validationLoss: number;
}

/** What pruneLlama returns. */
export interface LlamaPruneResult {
  /** The pruned weights of the pass kept, by tensor name (float32, [out, in]); every other tensor is the checkpoint's. Empty when onTensor took them (one pass, no validation) or options.passStore kept them. */
  tensors: Map<string, Float32Array>;
  /** The kept pass's store when options.passStore was given (the caller frees it), else null. */
  store: PassStore | null;
  /** The per-layer reports of the pass kept. */
  layers: LayerReport[];
  passes: LlamaPass[];
  /** The pass kept (1-based). */
  chosenPass: number;
  /**
   * Most bytes the backend held at once (weights of one block, activations, scratch), sampled at
   * every linear input of the forward pass and every progress report of the pruner: a lower bound
   * (a pruner's scratch between two of its reports is missed; on the demo Llama it read 96% of
   * the true peak).
   */
  peakBackendBytes: number;
  /** The backend that finished: la's, or its host backend after a lost GPU device (la.recover()). */
  backend: string;
}

const KNOWN = ['pruner', 'pattern', 'calibration', 'validation', 'passes', 'projections', 'head', 'onTensor', 'onLayer', 'onProgress', 'passStore', 'target', 'warn'];

function checkWindows(fn: string, arg: string, windows: unknown, cfg: LlamaConfig): readonly (readonly number[])[] {
  if (!Array.isArray(windows) || windows.length === 0) throw typeError(fn, arg, windows, 'a non-empty array of token id arrays');
  windows.forEach((w, i) => {
    if (!Array.isArray(w) || w.length < 1) throw typeError(fn, `${arg}[${i}]`, w, 'a non-empty array of token ids');
    if (w.length > cfg.maxPositionEmbeddings) throw rangeError(fn, `${arg}[${i}]`, `${w.length} tokens`, `at most max_position_embeddings = ${cfg.maxPositionEmbeddings}`);
    // Checked here, before any work: Int32Array.from would truncate 2.5 to 2, and an id past the
    // vocabulary would only surface from gather (or, for validation, after every block is pruned).
    for (let t = 0; t < w.length; t++) {
      const v = w[t];
      if (!(Number.isInteger(v) && v >= 0 && v < cfg.vocabSize)) throw rangeError(fn, `${arg}[${i}][${t}]`, v, `a token id in [0, ${cfg.vocabSize})`);
    }
  });
  return windows;
}

/**
 * Prunes the projections of a Llama checkpoint block by block on calibration windows (see the
 * file comment). Returns the pruned weights of the pass kept (the caller writes them out, e.g.
 * with writeLlamaCheckpoint) and a report per layer. The source is only read.
 * @example
 * const stories = splitStories(text).map((s) => tok.encodeStory(s));
 * const { windows } = calibrationWindows(stories, 64, 256);
 * const r = await pruneLlama(la, cfg, checkpoint, { pruner: sparseGPT(), pattern: '2:4', calibration: windows });
 * r.layers.map((l) => l.relError);
 */
export async function pruneLlama(la: Linalg, cfg: LlamaConfig, source: TensorSource, options: LlamaPruneOptions): Promise<LlamaPruneResult> {
  const fn = 'pruneLlama';
  if (options === null || typeof options !== 'object') throw typeError(fn, 'options', options, 'an object { pruner, pattern, calibration }');
  checkKnownKeys(fn, 'options', options, KNOWN);
  const pruner = options.pruner;
  if (!pruner || typeof pruner !== 'object' || typeof pruner.run !== 'function') throw typeError(fn, 'options.pruner', pruner, 'a Pruner such as sparseGPT()');
  const pattern = modelPattern(fn, 'options.pattern', options.pattern);
  const calibration = checkWindows(fn, 'options.calibration', options.calibration, cfg);
  const passes = checkInt(fn, 'options.passes', options.passes ?? 1, 1, 100);
  if (passes > 1 && pruner.method !== 'iobs') throw rangeError(fn, 'options.passes', passes, `1 for ${pruner.method} (passes repeat I-OBS from the previous pass; use iobs())`);
  const validation = options.validation === undefined ? undefined : checkWindows(fn, 'options.validation', options.validation, cfg);
  if (passes > 1 && validation === undefined) throw rangeError(fn, 'options.validation', undefined, 'stories held apart from calibration, to choose the pass by (passes > 1)');
  const projections = options.projections ?? LLAMA_PROJECTIONS;
  if (!Array.isArray(projections) || projections.length === 0) throw typeError(fn, 'options.projections', projections, `a non-empty array of projection names (${LLAMA_PROJECTIONS.join(', ')})`);
  for (const p of projections) if (!LLAMA_PROJECTIONS.includes(p)) throw rangeError(fn, 'options.projections', p, `one of ${LLAMA_PROJECTIONS.join(', ')}`);
  if (options.head !== undefined && typeof options.head !== 'boolean') throw typeError(fn, 'options.head', options.head, 'a boolean');
  const retain = !(options.onTensor !== undefined && passes === 1 && validation === undefined);
  const target = checkChoice(fn, 'options.target', options.target, ['dense', 'self'] as const, 'dense');
  const useDense = target === 'dense' && pruner.factorsHessian;
  // The target's λ is the pruner's own relative damping, so that W̃ = W where nothing upstream changed.
  const targetDamp = typeof (pruner.options as { damp?: unknown }).damp === 'number' ? (pruner.options as { damp: number }).damp : 0.01;
  for (const k of ['onLayer', 'onProgress', 'onTensor', 'passStore', 'warn'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'function') throw typeError(fn, `options.${k}`, options[k], 'a function');
  }
  // What the pruner refuses (sparseGPT's blockSize under N:M) is refused now, not after a block's work.
  for (const p of projections) {
    const lp = layerPattern(pattern, projectionShape(cfg, p)[1]);
    if (lp.pattern !== null) pruner.checkPattern(lp.pattern);
  }
  const log = (m: string) => options.onProgress?.(m);
  const warn = options.warn ?? ((m: string) => console.warn(m));

  let peak = la.liveBytes();
  const sample = () => { peak = Math.max(peak, la.liveBytes()); };
  const results: LlamaPass[] = [];
  const makeStore = options.passStore ?? memoryPassStore;
  // Stores live while a pass may need them: the previous pass's (the current pass starts from it),
  // the best pass's (returned) and the current one's.
  const live = new Set<PassStore>();
  let previous: PassStore | null = null;
  let best: { pass: number; loss: number; store: PassStore | null; layers: LayerReport[] } | null = null;
  const release = async (store: PassStore | null): Promise<void> => {
    if (store === null || !live.has(store) || store === previous || store === best?.store) return;
    live.delete(store);
    await store.free();
  };
  try {
    for (let pass = 1; pass <= passes; pass++) {
      let store: PassStore | null = null;
      if (retain) {
        store = await makeStore(pass);
        live.add(store);
      }
      // On a device backend the pruned layers are kept on the host even when nothing else would
      // keep them (onTensor alone), so that a lost device loses only the layer in hand: the pass is
      // then run again on the host backend, reusing every layer already pruned (the blocks before
      // the one in hand are run again to calibrate it) and reporting each layer once.
      const keep = store ?? (la.canLoseDevice ? memoryPassStore() : null);
      const done = new Map<string, LayerReport>();
      let layers: LayerReport[] = [];
      let loss = NaN;
      for (;;) {
        try {
          layers = [];
          /**
           * Prunes one matrix against its dense weight W with the statistics in acc (or keeps it dense
           * when the pattern does not fit), records its report and its host copy; returns the pruned
           * matrix (the caller frees it) or null when it stayed dense.
           */
          const pruneOne = async (name: string, W: Matrix, acc: HessianAccumulator, rows: number, cols: number, where: string): Promise<Matrix | null> => {
            const lp = layerPattern(pattern, cols);
            const short = name.replace(/^model\./, '').replace(/\.weight$/, '');
            const earlier = done.get(name);
            if (earlier !== undefined) {
              // Pruned before the device was lost: its host copy is put back, nothing is reported again.
              layers.push(earlier);
              return earlier.pattern === null ? null : la.fromArray(await keep!.weight(name), rows, cols);
            }
            if (lp.pattern === null) {
              const report: LayerReport = { name: short, op: 'Linear', rows, cols, pattern: null, dense: lp.dense, sparsity: 0, relError: 0, seconds: 0, pass };
              layers.push(report);
              done.set(name, report);
              options.onLayer?.(report);
              return null;
            }
            let layerPruner = pruner;
            const starts: (Matrix | Mask)[] = [];
            if (pass > 1 && previous?.has(name)) {
              const weight = await previous.weight(name), mask = await previous.mask(name); // read before any allocation
              const W0 = la.fromArray(weight, rows, cols);
              starts.push(W0);
              const M0 = la.fromArray(mask, rows, cols, 'uint8');
              starts.push(M0 as unknown as Matrix);
              layerPruner = continueIobs(pruner, W0, M0, `pass ${pass - 1}`);
            }
            let r;
            try {
              r = await pruneLayer(la, W, acc, { pruner: layerPruner, pattern: lp.pattern, onProgress: sample });
            } finally {
              for (const M of starts) M.free();
            }
            try {
              let weight: Float32Array, mask: Uint8Array;
              try {
                weight = await la.read(r.weight) as Float32Array;
                mask = await la.read(r.mask) as Uint8Array;
              } finally {
                r.mask.free();
              }
              if (keep) await keep.put(name, weight, mask);
              if (options.onTensor) await options.onTensor(name, weight, pass);
              sample();
              const report: LayerReport = { name: short, op: 'Linear', rows, cols, pattern: formatPattern(lp.pattern), sparsity: r.sparsity, relError: r.relError, seconds: r.seconds, pass };
              layers.push(report);
              done.set(name, report);
              options.onLayer?.(report);
              log(`pass ${pass}/${passes} ${where} ${short} ${rows}x${cols}: relative error ${r.relError.toPrecision(4)}, ${r.seconds.toFixed(2)} s`);
            } catch (e) {
              r.weight.free();
              throw e;
            }
            return r.weight;
          };
          const scope = la.scope();
          try {
            // The residual stream of every calibration window at the input of block 0.
            const embed = scope.track(la.fromArray(await source.read(embeddingTensorName(cfg, source)), cfg.vocabSize, cfg.hiddenSize));
            const streams: Matrix[] = [];
            for (const w of calibration) {
              const ids = la.fromArray(Int32Array.from(w), w.length, 1, 'int32');
              try {
                streams.push(scope.track(await la.gather(embed, ids)));
              } finally {
                ids.free();
              }
            }
            // Target 'dense': the dense model's residual streams beside them, advanced by the dense blocks.
            const denseStreams: Matrix[] = [];
            if (useDense) for (const X of streams) denseStreams.push(scope.track(await la.copy(X)));
            embed.free();
            sample();
            let upstreamPruned = false; // until a projection is pruned, X_p = X_d and the target is W
            for (let b = 0; b < cfg.numLayers; b++) {
              const dense = await loadLlamaBlock(la, cfg, source, b);
              const current = { ...dense, proj: { ...dense.proj } };
              const pruned: Matrix[] = [];
              try {
                for (const group of GROUPS) {
                  const todo = group.filter((p) => projections.includes(p));
                  if (todo.length === 0) continue;
                  const cols = projectionShape(cfg, todo[0])[1];
                  const acc = new HessianAccumulator(la, cols);
                  const asymmetric = useDense && upstreamPruned;
                  const cross = asymmetric ? new CrossAccumulator(la, cols) : null;
                  const local = la.scope();
                  try {
                    // Calibrate: run the block as it now stands on a copy of each window (the block works
                    // in place), catching the group's input; one scratch matrix serves every window.
                    // Target 'dense': the window's input is held while the dense block runs on the
                    // dense stream, and C += X_pᵀ X_d.
                    const maxRows = Math.max(...streams.map((X) => X.rows));
                    const scratch = local.track(la.matrix(maxRows, cfg.hiddenSize, streams[0].dtype));
                    const held = cross ? local.track(la.matrix(maxRows, cols, streams[0].dtype)) : null;
                    for (let k = 0; k < streams.length; k++) {
                      const X = streams[k], copy = scratch.view(0, 0, X.rows, X.cols);
                      await la.copy(X, copy);
                      await llamaBlock(la, cfg, current, copy, {
                        stopAfter: todo[0],
                        onLinearInput: async (p, input) => {
                          sample();
                          if (p !== todo[0]) return;
                          await acc.addBatch(input);
                          if (held) await la.copy(input, held.view(0, 0, input.rows, cols));
                        },
                      });
                      if (cross && held) {
                        await la.copy(denseStreams[k], copy);
                        await llamaBlock(la, cfg, dense, copy, { stopAfter: todo[0], onLinearInput: async (p, input) => { if (p === todo[0]) await cross.addPair(held.view(0, 0, input.rows, cols), input); } });
                      }
                    }
                    local.release(scratch);
                    if (held) local.release(held);
                    sample();
                    const H64 = cross ? local.track(await acc.hessian('float64')) : null;
                    const C64 = cross ? local.track(await cross.cross()) : null;
                    for (const p of todo) {
                      const name = llamaTensorName(b, p);
                      const [rows] = projectionShape(cfg, p);
                      // H and C serve every projection of the group: the last one may use them as scratch.
                      const last = p === todo[todo.length - 1];
                      const goal = cross && !done.has(name) ? local.track(await denseTarget(la, dense.proj[p], H64!, C64!, targetDamp, { overwrite: last })) : dense.proj[p];
                      sample();
                      const W = await pruneOne(name, goal, acc, rows, cols, `block ${b + 1}/${cfg.numLayers}`);
                      if (goal !== dense.proj[p]) local.release(goal);
                      if (W) {
                        pruned.push(W);
                        current.proj[p] = W;
                        upstreamPruned = true;
                      }
                    }
                  } finally {
                    local.free();
                    cross?.free();
                    acc.free();
                  }
                }
                // The block's pruned output is the next block's input.
                for (const X of streams) await llamaBlock(la, cfg, current, X);
                for (const X of denseStreams) await llamaBlock(la, cfg, dense, X);
                sample();
              } finally {
                for (const M of pruned) if (!M.freed) M.free();
                freeLlamaBlock(dense);
              }
            }
            if (options.head) {
              // The head, last: calibrated on the final norm of the pruned model's residual streams.
              const norm = scope.track(la.fromArray(await source.read('model.norm.weight'), 1, cfg.hiddenSize));
              const acc = new HessianAccumulator(la, cfg.hiddenSize);
              const cross = useDense && upstreamPruned ? new CrossAccumulator(la, cfg.hiddenSize) : null;
              const head = la.scope();
              try {
                for (let k = 0; k < streams.length; k++) {
                  const Hn = head.track(await la.rmsNorm(streams[k], norm, cfg.rmsNormEps));
                  await acc.addBatch(Hn);
                  if (cross) {
                    const Hd = head.track(await la.rmsNorm(denseStreams[k], norm, cfg.rmsNormEps));
                    await cross.addPair(Hn, Hd);
                    head.release(Hd);
                  }
                  head.release(Hn);
                }
                const name = headTensorName(cfg, source);
                let W = head.track(la.fromArray(await source.read(name), cfg.vocabSize, cfg.hiddenSize));
                if (cross && !done.has(name)) W = head.track(await denseTarget(la, W, head.track(await acc.hessian('float64')), head.track(await cross.cross()), targetDamp, { overwrite: true }));
                const P = await pruneOne(name, W, acc, cfg.vocabSize, cfg.hiddenSize, 'head');
                P?.free();
              } finally {
                head.free();
                cross?.free();
                acc.free();
              }
            }
          } finally {
            scope.free();
          }

          if (validation !== undefined) {
            // Block by block from the pass's store: one block and the validation streams at a time.
            const v = await sourcePerplexity(la, cfg, storeSource(source, keep!), validation, { onProgress: sample });
            loss = v.nll / v.count;
            log(`pass ${pass}/${passes}: validation loss ${loss.toFixed(4)} (perplexity ${Math.exp(loss).toFixed(2)})`);
          }
          break;
        } catch (e) {
          la = await continueAfterLoss(la, e, warn, `pass ${pass} is run again there, reusing the ${done.size} layer${done.size === 1 ? '' : 's'} already pruned`);
        }
      }
      if (keep !== store) await keep?.free();
      results.push({ pass, layers, validationLoss: loss });
      const earlier = previous, beaten = best === null || loss < best.loss ? best : null;
      if (best === null || loss < best.loss) best = { pass, loss, store, layers };
      previous = pass < passes ? store : null;
      await release(earlier);
      if (beaten) await release(beaten.store);
      if (store !== best.store) await release(store);
    }
  } catch (e) {
    previous = null;
    best = null;
    for (const s of live) await s.free().catch(() => {}); // the error in hand is the one to report
    throw e;
  }
  const kept = best!;
  const tensors = new Map<string, Float32Array>();
  if (kept.store && options.passStore === undefined) {
    // The default memory store hands its arrays over (no copy), then is freed.
    for (const name of kept.store.names()) tensors.set(name, await kept.store.weight(name));
    await kept.store.free();
  }
  return { tensors, store: options.passStore === undefined ? null : kept.store, layers: kept.layers, passes: results, chosenPass: kept.pass, peakBackendBytes: peak, backend: la.backendName };
}
