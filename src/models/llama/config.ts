// A Hugging Face LlamaForCausalLM config.json, parsed and checked: what the forward pass in
// forward.ts supports, and a clear error naming the field and its value for anything else.
import { rangeError, typeError } from '../../core/errors.js';

/** The architecture of a Llama checkpoint, in the forward pass's terms. */
export interface LlamaConfig {
  /** Width of the residual stream (hidden_size). */
  readonly hiddenSize: number;
  /** Width of the MLP (intermediate_size). */
  readonly intermediateSize: number;
  /** Decoder blocks (num_hidden_layers). */
  readonly numLayers: number;
  /** Query heads (num_attention_heads). */
  readonly numHeads: number;
  /** Key/value heads (num_key_value_heads; numHeads / numKvHeads query heads share one). */
  readonly numKvHeads: number;
  /** Elements per head (head_dim, default hiddenSize / numHeads). */
  readonly headDim: number;
  /** The RMSNorm epsilon (rms_norm_eps). */
  readonly rmsNormEps: number;
  /** The rotary base θ (rope_theta, default 10000). */
  readonly ropeTheta: number;
  /** Tokens in the vocabulary (vocab_size). */
  readonly vocabSize: number;
  /** The longest sequence the model was trained on (max_position_embeddings). */
  readonly maxPositionEmbeddings: number;
  /** The output head is the token embedding (tie_word_embeddings, default false as in transformers). */
  readonly tieWordEmbeddings: boolean;
  /** The BOS token id (bos_token_id), or null when the config names none. */
  readonly bosTokenId: number | null;
  /** The EOS token id (eos_token_id; the first when a list), or null. */
  readonly eosTokenId: number | null;
}

const FN = 'parseLlamaConfig';

function integer(c: Record<string, unknown>, key: string, fallback?: number): number {
  const v = c[key] ?? fallback;
  if (v === undefined) throw rangeError(FN, `config.${key}`, v, 'present (a positive integer)');
  if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(FN, `config.${key}`, v, 'a positive integer');
  if (v < 1) throw rangeError(FN, `config.${key}`, v, 'a positive integer');
  return v;
}

function positive(c: Record<string, unknown>, key: string, fallback: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number') throw typeError(FN, `config.${key}`, v, 'a number');
  if (!(Number.isFinite(v) && v > 0)) throw rangeError(FN, `config.${key}`, v, 'a finite number > 0');
  return v;
}

function flag(c: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = c[key] ?? fallback;
  if (typeof v !== 'boolean') throw typeError(FN, `config.${key}`, v, 'a boolean');
  return v;
}

function tokenId(c: Record<string, unknown>, key: string): number | null {
  let v = c[key];
  if (Array.isArray(v)) v = v[0];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw rangeError(FN, `config.${key}`, c[key], 'a token id (an integer >= 0), a list of them, or null');
  return v;
}

/**
 * Checks a parsed config.json of a Hugging Face Llama model and returns its architecture. Refused,
 * with an error naming the field and its value: another architecture or model_type, a hidden_act
 * other than silu, attention or MLP biases, rope_scaling (only plain rotary embeddings are
 * implemented), heads that do not divide evenly, an odd head_dim. Defaults follow transformers'
 * LlamaConfig (rope_theta 10000, rms_norm_eps 1e-6, tie_word_embeddings false, head_dim
 * hidden_size / num_attention_heads).
 * @example
 * const cfg = parseLlamaConfig(JSON.parse(configJsonText));
 * cfg.numHeads / cfg.numKvHeads;   // 2: two query heads per key/value head
 */
export function parseLlamaConfig(json: unknown): LlamaConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw typeError(FN, 'config', json, 'a parsed config.json object');
  const c = json as Record<string, unknown>;
  if (c.model_type !== 'llama') throw rangeError(FN, 'config.model_type', c.model_type, "'llama'");
  if (c.architectures !== undefined) {
    const a = c.architectures;
    if (!Array.isArray(a) || !a.includes('LlamaForCausalLM')) throw rangeError(FN, 'config.architectures', a, "a list holding 'LlamaForCausalLM'");
  }
  const act = c.hidden_act ?? 'silu';
  if (act !== 'silu') throw rangeError(FN, 'config.hidden_act', act, "'silu' (the only activation implemented)");
  for (const key of ['attention_bias', 'mlp_bias']) {
    if (flag(c, key, false)) throw rangeError(FN, `config.${key}`, true, 'false (biases are not implemented)');
  }
  if (c.rope_scaling !== undefined && c.rope_scaling !== null) throw rangeError(FN, 'config.rope_scaling', c.rope_scaling, 'null (only plain rotary embeddings are implemented)');
  const hiddenSize = integer(c, 'hidden_size');
  const numHeads = integer(c, 'num_attention_heads');
  const numKvHeads = integer(c, 'num_key_value_heads', numHeads);
  if (numKvHeads > numHeads || numHeads % numKvHeads !== 0) {
    throw rangeError(FN, 'config.num_key_value_heads', numKvHeads, `a divisor of num_attention_heads = ${numHeads}`);
  }
  if (c.head_dim === undefined || c.head_dim === null) {
    if (hiddenSize % numHeads !== 0) throw rangeError(FN, 'config.hidden_size', hiddenSize, `a multiple of num_attention_heads = ${numHeads} (no head_dim is given)`);
  }
  const headDim = integer(c, 'head_dim', hiddenSize / numHeads);
  if (headDim % 2 !== 0) throw rangeError(FN, 'config.head_dim', headDim, 'an even integer (rotary embeddings pair its halves)');
  return {
    hiddenSize,
    intermediateSize: integer(c, 'intermediate_size'),
    numLayers: integer(c, 'num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: positive(c, 'rms_norm_eps', 1e-6),
    ropeTheta: positive(c, 'rope_theta', 10000),
    vocabSize: integer(c, 'vocab_size'),
    maxPositionEmbeddings: integer(c, 'max_position_embeddings'),
    tieWordEmbeddings: flag(c, 'tie_word_embeddings', false),
    bosTokenId: tokenId(c, 'bos_token_id'),
    eosTokenId: tokenId(c, 'eos_token_id'),
  };
}
