// The perplexity protocol for story corpora (TinyStories): the text is split into stories at
// <|endoftext|>, each story is encoded from BOS and scored as one window of at most `seqlen` tokens
// (a longer story is cut there, not wrapped into a second window), and every predicted token
// counts once: perplexity = exp(Σ nll / Σ count). Platform neutral: the caller hands in the text
// or the token ids; nothing here reads files.
import { checkInt, rangeError, typeError } from '../../core/errors.js';
import type { Linalg } from '../../linalg/linalg.js';
import { llamaNll } from './forward.js';
import type { TensorSource } from '../tensor-source.js';
import type { LlamaConfig } from './config.js';
import { loadLlama, type LlamaModel } from './weights.js';

/** The separator between stories in the TinyStories text files. */
export const STORY_SEPARATOR = '<|endoftext|>';

/**
 * The stories of a text: split at <|endoftext|>, each trimmed of surrounding whitespace (the
 * separators sit on lines of their own), empty ones dropped.
 * @example
 * splitStories('One.\n<|endoftext|>\nTwo.\n');   // ['One.', 'Two.']
 */
export function splitStories(text: string): string[] {
  if (typeof text !== 'string') throw typeError('splitStories', 'text', text, 'a string');
  return text.split(STORY_SEPARATOR).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Options of llamaPerplexity. */
export interface PerplexityOptions {
  /** Tokens per window, BOS included (default max_position_embeddings); a longer story is cut. */
  seqlen?: number;
  /** Called after each story with its index and its window's result (for progress or per-story numbers). */
  onWindow?: (index: number, nll: number, count: number) => void;
}

/** What llamaPerplexity reports. */
export interface PerplexityResult {
  /** exp(nll / count). */
  perplexity: number;
  /** Σ of every window's summed negative log-likelihood (float64, natural log). */
  nll: number;
  /** Tokens predicted, in all windows. */
  count: number;
  /** Windows scored (one per story). */
  windows: number;
  /** Stories longer than seqlen tokens, cut to it. */
  cut: number;
}

/**
 * Perplexity of the model on stories given as token ids (each starting with BOS, e.g. from
 * LlamaTokenizer.encodeStory): each story is one window of its first `seqlen` tokens.
 * @example
 * const stories = splitStories(text).slice(0, 50).map((s) => tok.encodeStory(s));
 * const { perplexity } = await llamaPerplexity(la, model, stories, { seqlen: 256 });
 */
export async function llamaPerplexity(la: Linalg, model: LlamaModel, stories: readonly (readonly number[])[], options: PerplexityOptions = {}): Promise<PerplexityResult> {
  const fn = 'llamaPerplexity', max = model.config.maxPositionEmbeddings;
  if (!Array.isArray(stories)) throw typeError(fn, 'stories', stories, 'an array of token id arrays');
  const seqlen = checkInt(fn, 'options.seqlen', options.seqlen ?? max, 2, max);
  let nll = 0, count = 0, cut = 0;
  for (let i = 0; i < stories.length; i++) {
    const ids = stories[i];
    if (!Array.isArray(ids)) throw typeError(fn, `stories[${i}]`, ids, 'an array of token ids');
    if (ids.length > seqlen) cut++;
    const w = await llamaNll(la, model, ids.length > seqlen ? ids.slice(0, seqlen) : ids);
    options.onWindow?.(i, w.nll, w.count);
    nll += w.nll;
    count += w.count;
  }
  if (count === 0) throw rangeError(fn, 'stories', `${stories.length} stories`, 'at least one story of two or more tokens');
  return { perplexity: Math.exp(nll / count), nll, count, windows: stories.length, cut };
}

/**
 * llamaPerplexity of the model a TensorSource holds: loads it, scores the stories, frees it.
 * @example
 * const { perplexity } = await sourcePerplexity(la, cfg, overlaySource(checkpoint, pruned), stories);
 */
export async function sourcePerplexity(la: Linalg, cfg: LlamaConfig, source: TensorSource, stories: readonly (readonly number[])[], options: PerplexityOptions = {}): Promise<PerplexityResult> {
  const model = await loadLlama(la, cfg, source);
  try {
    return await llamaPerplexity(la, model, stories, options);
  } finally {
    model.free();
  }
}
