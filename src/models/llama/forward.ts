// The Hugging Face Llama forward pass (LlamaForCausalLM, no KV cache) written only against facade
// kernels, so it runs on every backend: values never come to the host except the summed
// cross-entropy at the end. One block:
//   h = RMSNorm(x) → q, k, v = h Wqᵀ, h Wkᵀ, h Wvᵀ → rotary(q), rotary(k) →
//   per head: softmax_causal(q_h k_gᵀ / √d) v_g  (g = head / (heads / kvHeads)) → o = attn Woᵀ →
//   x += o → h = RMSNorm(x) → x += (silu(h Wgateᵀ) ⊙ h Wupᵀ) Wdownᵀ
// and the model: x = embed[ids] → blocks → RMSNorm → logits = x headᵀ.
import { checkInt, rangeError, typeError } from '../../core/errors.js';
import type { Matrix } from '../../core/matrix.js';
import type { Linalg } from '../../linalg/linalg.js';
import type { LlamaConfig } from './config.js';
import type { LlamaBlockWeights, LlamaModel, LlamaProjection } from './weights.js';

/** Options of llamaBlock. */
export interface LlamaBlockOptions {
  /** Position of X's first row (default 0): row t is at position start + t. */
  start?: number;
  /**
   * Called with each linear layer's input just before its projection (the whole-model pruner
   * accumulates Hessians here): X is T x in, valid only until the returned promise settles, and
   * must not be changed. q_proj, k_proj and v_proj get the same matrix, as do gate_proj and up_proj.
   */
  onLinearInput?: (proj: LlamaProjection, X: Matrix) => Promise<void> | void;
  /**
   * Return as soon as onLinearInput has seen this projection's input, skipping the rest of the
   * block (a calibration pass needs no more). X is then left part way: do not use it afterwards.
   */
  stopAfter?: LlamaProjection;
}

/** y := x Wᵀ (W stored [out, in], as Hugging Face keeps nn.Linear weights). */
function linear(la: Linalg, X: Matrix, W: Matrix, Y: Matrix): Promise<void> {
  return la.gemm(X, W, Y, { transB: true });
}

/**
 * One decoder block on the residual stream X (T x hidden, T ≤ max_position_embeddings), in place:
 * X := X + attention(RMSNorm(X)), then X := X + MLP(RMSNorm(X)), with causal attention over X's
 * own rows (no cache). Temporaries are freed before it returns, also on error.
 * @example
 * const w = await loadLlamaBlock(la, cfg, source, 0);
 * await llamaBlock(la, cfg, w, X, { onLinearInput: (proj, inputs) => acc[proj].addBatch(inputs) });
 */
export async function llamaBlock(la: Linalg, cfg: LlamaConfig, weights: LlamaBlockWeights, X: Matrix, options: LlamaBlockOptions = {}): Promise<void> {
  const fn = 'llamaBlock';
  if (X.cols !== cfg.hiddenSize) throw rangeError(fn, 'X', X, `T x ${cfg.hiddenSize} (the residual stream)`);
  const start = checkInt(fn, 'options.start', options.start ?? 0, 0);
  if (start + X.rows > cfg.maxPositionEmbeddings) throw rangeError(fn, 'X', X, `at most max_position_embeddings − start = ${cfg.maxPositionEmbeddings - start} rows`);
  const hook = options.onLinearInput;
  if (hook !== undefined && typeof hook !== 'function') throw typeError(fn, 'options.onLinearInput', hook, 'a function');
  const stopAfter = options.stopAfter;
  if (stopAfter !== undefined && !['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'].includes(stopAfter)) throw rangeError(fn, 'options.stopAfter', stopAfter, 'a projection name such as q_proj');
  /** Shows the hook a projection's input; true when the block is to stop there. */
  const observe = async (p: LlamaProjection, M: Matrix): Promise<boolean> => {
    if (hook) await hook(p, M);
    return p === stopAfter;
  };
  const T = X.rows, d = cfg.headDim, heads = cfg.numHeads, group = cfg.numHeads / cfg.numKvHeads, dtype = X.dtype;
  if (T === 0) return;
  const P = weights.proj;
  const s = la.scope();
  try {
    const H = s.track(la.matrix(T, cfg.hiddenSize, dtype));
    const Q = s.track(la.matrix(T, heads * d, dtype));
    const K = s.track(la.matrix(T, cfg.numKvHeads * d, dtype));
    const V = s.track(la.matrix(T, cfg.numKvHeads * d, dtype));
    const S = s.track(la.matrix(T, T, dtype));
    const O = s.track(la.matrix(T, heads * d, dtype));
    // Attention.
    await la.rmsNorm(X, weights.inputNorm, cfg.rmsNormEps, H);
    for (const [p, W, Y] of [['q_proj', P.q_proj, Q], ['k_proj', P.k_proj, K], ['v_proj', P.v_proj, V]] as const) {
      if (await observe(p, H)) return;
      await linear(la, H, W, Y);
    }
    await la.rotary(Q, d, cfg.ropeTheta, start);
    await la.rotary(K, d, cfg.ropeTheta, start);
    const scale = 1 / Math.sqrt(d);
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / group);
      await la.gemm(Q.view(0, h * d, T, d), K.view(0, g * d, T, d), S, { transB: true });
      await la.softmaxRows(S, { scale, causal: true });
      await la.gemm(S, V.view(0, g * d, T, d), O.view(0, h * d, T, d));
    }
    if (await observe('o_proj', O)) return;
    await linear(la, O, P.o_proj, H);
    await la.axpby(1, H, 1, X);
    s.release(S);
    s.release(Q);
    s.release(K);
    s.release(V);
    // MLP.
    const G = s.track(la.matrix(T, cfg.intermediateSize, dtype));
    const U = s.track(la.matrix(T, cfg.intermediateSize, dtype));
    await la.rmsNorm(X, weights.postNorm, cfg.rmsNormEps, H);
    if (await observe('gate_proj', H)) return;
    await linear(la, H, P.gate_proj, G);
    if (await observe('up_proj', H)) return;
    await linear(la, H, P.up_proj, U);
    await la.siluGate(G, U, G);
    if (await observe('down_proj', G)) return;
    await linear(la, G, P.down_proj, H);
    await la.axpby(1, H, 1, X);
  } finally {
    s.free();
  }
}

/** Token ids as an int32 column vector of the backend (written once, the host-to-backend doorway). */
async function idMatrix(la: Linalg, cfg: LlamaConfig, ids: ArrayLike<number> | Matrix<'int32'>, fn: string): Promise<{ M: Matrix<'int32'>; owned: boolean }> {
  if (typeof ids === 'object' && ids !== null && 'dtype' in ids && 'rows' in ids) {
    const M = ids as Matrix<'int32'>;
    if (M.dtype !== 'int32' || (M.rows !== 1 && M.cols !== 1)) throw typeError(fn, 'tokenIds', M, 'an int32 vector or an array of token ids');
    return { M, owned: false };
  }
  if (ids === null || typeof ids !== 'object' || typeof (ids as ArrayLike<number>).length !== 'number') throw typeError(fn, 'tokenIds', ids, 'an array of token ids or an int32 vector');
  const a = ids as ArrayLike<number>;
  for (let t = 0; t < a.length; t++) {
    const v = a[t];
    if (!(Number.isInteger(v) && v >= 0 && v < cfg.vocabSize)) throw rangeError(fn, `tokenIds[${t}]`, v, `a token id in [0, ${cfg.vocabSize})`);
  }
  return { M: la.fromArray(a, a.length, 1, 'int32'), owned: true };
}

/**
 * The residual stream at the input of block 0: the embedding rows of the token ids (T x hidden,
 * of the model's dtype; the caller frees it).
 */
export async function llamaEmbed(la: Linalg, model: LlamaModel, tokenIds: ArrayLike<number> | Matrix<'int32'>): Promise<Matrix> {
  const { M, owned } = await idMatrix(la, model.config, tokenIds, 'llamaEmbed');
  try {
    return await la.gather(model.embed, M);
  } finally {
    if (owned) M.free();
  }
}

/** Rows of logits computed at once by llamaNll: about 4M elements (16 MB in float32). */
const LOGIT_ELEMENTS = 1 << 22;

/**
 * Σ −log p(target_t | row t) over the rows of the final residual stream X (T x hidden; not
 * changed): final RMSNorm, logits = X headᵀ, summed cross-entropy in float64. targets is an int32
 * vector of T ids. Logits are formed a slab of rows at a time (one slab, and one host read, for a
 * 2048-token vocabulary and T ≤ 2048).
 */
export async function llamaHeadNll(la: Linalg, model: Pick<LlamaModel, 'config' | 'norm' | 'head'>, X: Matrix, targets: Matrix<'int32'>): Promise<number> {
  const cfg = model.config, T = X.rows;
  const slab = Math.max(1, Math.floor(LOGIT_ELEMENTS / cfg.vocabSize));
  const s = la.scope();
  try {
    const H = s.track(await la.rmsNorm(X, model.norm, cfg.rmsNormEps));
    const L = s.track(la.matrix(Math.min(slab, T), cfg.vocabSize, X.dtype));
    const tv = targets.rows === 1 ? (r0: number, n: number) => targets.view(0, r0, 1, n) : (r0: number, n: number) => targets.view(r0, 0, n, 1);
    let nll = 0;
    for (let r0 = 0; r0 < T; r0 += slab) {
      const n = Math.min(slab, T - r0), Ln = L.view(0, 0, n, cfg.vocabSize);
      await la.gemm(H.view(r0, 0, n, cfg.hiddenSize), model.head, Ln, { transB: true });
      nll += await la.crossEntropy(Ln, tv(r0, n));
    }
    return nll;
  } finally {
    s.free();
  }
}

/** What llamaNll reports for one window. */
export interface LlamaNll {
  /** Σ −log p(token_{t+1} | tokens ≤ t) in float64 (natural log). */
  nll: number;
  /** Tokens predicted: T − 1. */
  count: number;
}

/**
 * The summed negative log-likelihood of one window of token ids (T ≤ max_position_embeddings,
 * positions 0 … T−1): every position predicts the next token, so T − 1 tokens are scored. Runs
 * embed → every block → final norm → head → cross-entropy on the backend; the only value read
 * to the host is the sum.
 * @example
 * const { nll, count } = await llamaNll(la, model, ids);
 * Math.exp(nll / count);   // the window's perplexity
 */
export async function llamaNll(la: Linalg, model: LlamaModel, tokenIds: ArrayLike<number> | Matrix<'int32'>): Promise<LlamaNll> {
  const fn = 'llamaNll', cfg = model.config;
  const { M: ids, owned } = await idMatrix(la, cfg, tokenIds, fn);
  const s = la.scope();
  try {
    if (owned) s.track(ids);
    const T = ids.size;
    if (T > cfg.maxPositionEmbeddings) throw rangeError(fn, 'tokenIds', `${T} tokens`, `at most max_position_embeddings = ${cfg.maxPositionEmbeddings} tokens`);
    if (T < 2) return { nll: 0, count: 0 };
    const X = s.track(await la.gather(model.embed, ids));
    for (const block of model.blocks) await llamaBlock(la, cfg, block, X);
    const next = ids.rows === 1 ? ids.view(0, 1, 1, T - 1) : ids.view(1, 0, T - 1, 1);
    const nll = await llamaHeadNll(la, model, X.view(0, 0, T - 1, cfg.hiddenSize), next);
    return { nll, count: T - 1 };
  } finally {
    s.free();
  }
}
