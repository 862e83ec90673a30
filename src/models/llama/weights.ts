// Where a Llama checkpoint keeps its weights (Hugging Face tensor names) and how they are loaded
// from a TensorSource into backend matrices: one block at a time (what the whole-model pruner
// holds), or the whole model for scoring. Every tensor's shape is checked against the config.
import { rangeError } from '../../core/errors.js';
import type { DType } from '../../core/dtype.js';
import type { Matrix } from '../../core/matrix.js';
import type { Linalg } from '../../linalg/linalg.js';
import type { TensorSource } from '../tensor-source.js';
import type { LlamaConfig } from './config.js';

/** The linear layers of a block, by their Hugging Face names. */
export type LlamaProjection = 'q_proj' | 'k_proj' | 'v_proj' | 'o_proj' | 'gate_proj' | 'up_proj' | 'down_proj';

/** The linear layers of a block in the order the forward pass uses them. */
export const LLAMA_PROJECTIONS: readonly LlamaProjection[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

/** One block's weights: the two RMSNorm weights (1 x hidden) and the seven projections, each [out, in] as stored (y = x Wᵀ). */
export interface LlamaBlockWeights {
  readonly layer: number;
  readonly inputNorm: Matrix;
  readonly postNorm: Matrix;
  readonly proj: Record<LlamaProjection, Matrix>;
}

/** Options of the loaders. */
export interface LlamaLoadOptions {
  /** The dtype of the matrices (default float32, what checkpoints hold; float64 for checks). */
  dtype?: DType;
}

const ATTENTION: ReadonlySet<string> = new Set(['q_proj', 'k_proj', 'v_proj', 'o_proj']);

/** The Hugging Face name of one block's tensor: the norms and the seven projections. */
export function llamaTensorName(layer: number, part: LlamaProjection | 'input_layernorm' | 'post_attention_layernorm'): string {
  const prefix = `model.layers.${layer}.`;
  if (part === 'input_layernorm' || part === 'post_attention_layernorm') return `${prefix}${part}.weight`;
  return `${prefix}${ATTENTION.has(part) ? 'self_attn' : 'mlp'}.${part}.weight`;
}

/** The [out, in] shape of a projection under a config. */
export function projectionShape(cfg: LlamaConfig, p: LlamaProjection): [number, number] {
  const n = cfg.hiddenSize, q = cfg.numHeads * cfg.headDim, kv = cfg.numKvHeads * cfg.headDim, m = cfg.intermediateSize;
  switch (p) {
    case 'q_proj': return [q, n];
    case 'k_proj':
    case 'v_proj': return [kv, n];
    case 'o_proj': return [n, q];
    case 'gate_proj':
    case 'up_proj': return [m, n];
    case 'down_proj': return [n, m];
  }
}

/** Reads one tensor, checks its shape, and puts it in a rows x cols matrix. */
async function loadTensor(la: Linalg, source: TensorSource, name: string, rows: number, cols: number, dtype: DType, fn: string): Promise<Matrix> {
  const info = source.info(name);
  const size = info.shape.reduce((a, b) => a * b, 1);
  const ok = rows === 1 ? info.shape.length === 1 && info.shape[0] === cols : info.shape.length === 2 && info.shape[0] === rows && info.shape[1] === cols;
  if (!ok) throw rangeError(fn, name, `shape [${info.shape.join(', ')}]`, `shape [${rows === 1 ? cols : `${rows}, ${cols}`}] for this config`);
  const values = await source.read(name);
  if (values.length !== size) throw rangeError(fn, name, `${values.length} values`, `${size} values (its shape)`);
  return la.fromArray(values, rows, cols, dtype);
}

/** Frees every matrix of a block's weights. */
export function freeLlamaBlock(weights: LlamaBlockWeights): void {
  for (const M of [weights.inputNorm, weights.postNorm, ...Object.values(weights.proj)]) if (!M.freed) M.free();
}

/**
 * Loads block `layer`'s weights from a TensorSource (shapes checked against the config). The caller
 * frees them with freeLlamaBlock; on an error nothing stays allocated.
 * @example
 * const w = await loadLlamaBlock(la, cfg, source, 0);
 * try { await llamaBlock(la, cfg, w, X); } finally { freeLlamaBlock(w); }
 */
export async function loadLlamaBlock(la: Linalg, cfg: LlamaConfig, source: TensorSource, layer: number, options: LlamaLoadOptions = {}): Promise<LlamaBlockWeights> {
  const fn = 'loadLlamaBlock';
  if (!Number.isInteger(layer) || layer < 0 || layer >= cfg.numLayers) throw rangeError(fn, 'layer', layer, `a block index in [0, ${cfg.numLayers})`);
  const dtype = options.dtype ?? 'float32';
  const s = la.scope();
  try {
    const norm = async (part: 'input_layernorm' | 'post_attention_layernorm') => s.track(await loadTensor(la, source, llamaTensorName(layer, part), 1, cfg.hiddenSize, dtype, fn));
    const inputNorm = await norm('input_layernorm'), postNorm = await norm('post_attention_layernorm');
    const proj = {} as Record<LlamaProjection, Matrix>;
    for (const p of LLAMA_PROJECTIONS) {
      const [rows, cols] = projectionShape(cfg, p);
      proj[p] = s.track(await loadTensor(la, source, llamaTensorName(layer, p), rows, cols, dtype, fn));
    }
    for (const M of [inputNorm, postNorm, ...Object.values(proj)]) s.keep(M);
    return { layer, inputNorm, postNorm, proj };
  } finally {
    s.free();
  }
}

/** A whole Llama model in backend matrices. */
export interface LlamaModel {
  readonly config: LlamaConfig;
  /** The token embedding, vocab x hidden. */
  readonly embed: Matrix;
  /** The final RMSNorm weight, 1 x hidden. */
  readonly norm: Matrix;
  /** The output head, vocab x hidden: the embedding itself when tied. */
  readonly head: Matrix;
  readonly blocks: readonly LlamaBlockWeights[];
  /** Frees every matrix of the model. */
  free(): void;
}

/** The embedding's tensor name: model.embed_tokens.weight, or lm_head.weight for a tied checkpoint that stores only that. */
export function embeddingTensorName(cfg: LlamaConfig, source: TensorSource): string {
  if (source.names.includes('model.embed_tokens.weight')) return 'model.embed_tokens.weight';
  // safetensors drops one of two shared tensors; transformers keeps lm_head.weight and notes the alias in __metadata__.
  if (cfg.tieWordEmbeddings && source.names.includes('lm_head.weight')) return 'lm_head.weight';
  throw rangeError('loadLlama', 'source', 'no model.embed_tokens.weight', cfg.tieWordEmbeddings ? 'a checkpoint with model.embed_tokens.weight or lm_head.weight' : 'a checkpoint with model.embed_tokens.weight');
}

/** Loads the token embedding alone (vocab x hidden): the input end of a model scored block by block. */
export async function loadLlamaEmbedding(la: Linalg, cfg: LlamaConfig, source: TensorSource, options: LlamaLoadOptions = {}): Promise<Matrix> {
  return loadTensor(la, source, embeddingTensorName(cfg, source), cfg.vocabSize, cfg.hiddenSize, options.dtype ?? 'float32', 'loadLlamaEmbedding');
}

/**
 * Loads the output end alone: the final norm (1 x hidden) and the head (vocab x hidden; the
 * embedding tensor when tied). The caller frees both.
 */
export async function loadLlamaHead(la: Linalg, cfg: LlamaConfig, source: TensorSource, options: LlamaLoadOptions = {}): Promise<{ norm: Matrix; head: Matrix }> {
  const fn = 'loadLlamaHead', dtype = options.dtype ?? 'float32';
  const norm = await loadTensor(la, source, 'model.norm.weight', 1, cfg.hiddenSize, dtype, fn);
  try {
    const name = cfg.tieWordEmbeddings ? embeddingTensorName(cfg, source) : 'lm_head.weight';
    return { norm, head: await loadTensor(la, source, name, cfg.vocabSize, cfg.hiddenSize, dtype, fn) };
  } catch (e) {
    norm.free();
    throw e;
  }
}

/**
 * Loads a whole model: embedding, every block, final norm, and the head (lm_head.weight, or the
 * embedding when tie_word_embeddings). model.free() releases it all.
 * @example
 * const model = await loadLlama(la, parseLlamaConfig(config), source);
 * try { const { nll, count } = await llamaNll(la, model, ids); } finally { model.free(); }
 */
export async function loadLlama(la: Linalg, cfg: LlamaConfig, source: TensorSource, options: LlamaLoadOptions = {}): Promise<LlamaModel> {
  const fn = 'loadLlama', dtype = options.dtype ?? 'float32';
  const s = la.scope();
  const blocks: LlamaBlockWeights[] = [];
  try {
    const embed = s.track(await loadTensor(la, source, embeddingTensorName(cfg, source), cfg.vocabSize, cfg.hiddenSize, dtype, fn));
    const head = cfg.tieWordEmbeddings ? embed : s.track(await loadTensor(la, source, 'lm_head.weight', cfg.vocabSize, cfg.hiddenSize, dtype, fn));
    const norm = s.track(await loadTensor(la, source, 'model.norm.weight', 1, cfg.hiddenSize, dtype, fn));
    for (let layer = 0; layer < cfg.numLayers; layer++) blocks.push(await loadLlamaBlock(la, cfg, source, layer, options));
    for (const M of [embed, head, norm]) s.keep(M);
    return {
      config: cfg, embed, norm, head, blocks,
      free() {
        for (const b of blocks) freeLlamaBlock(b);
        for (const M of [embed, head, norm]) if (!M.freed) M.free();
      },
    };
  } catch (e) {
    for (const b of blocks) freeLlamaBlock(b);
    throw e;
  } finally {
    s.free();
  }
}
