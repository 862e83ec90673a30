// The perplexity protocol for story corpora (TinyStories): the text is split into stories at
// <|endoftext|>, each story is encoded from BOS and scored as one window of at most `seqlen` tokens
// (a longer story is cut there, not wrapped into a second window), and every predicted token
// counts once: perplexity = exp(Σ nll / Σ count). Platform neutral: the caller hands in the text
// or the token ids; nothing here reads files.
import { checkInt, rangeError, typeError } from '../../core/errors.js';
import type { Linalg } from '../../linalg/linalg.js';
import { llamaBlock, llamaHeadNll, llamaNll } from './forward.js';
import type { TensorSource } from '../tensor-source.js';
import type { LlamaConfig } from './config.js';
import { freeLlamaBlock, loadLlamaBlock, loadLlamaEmbedding, loadLlamaHead, type LlamaModel } from './weights.js';

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

/** Options of sourcePerplexity. */
export interface SourcePerplexityOptions extends PerplexityOptions {
  /**
   * Most bytes of residual streams (tokens x hidden float32) held at once (default 256 MiB): the
   * stories are scored in consecutive groups that fit (one story at least), each group streaming
   * every block from the source once.
   */
  maxActivationBytes?: number;
  /** Called with a line of progress text as each group passes each block. */
  onProgress?: (message: string) => void;
}

/** The default of SourcePerplexityOptions.maxActivationBytes: 256 MiB. */
export const STREAM_ACTIVATION_BYTES = 256 * 2 ** 20;

/**
 * llamaPerplexity of the model a TensorSource holds, without loading the model whole: the stories
 * are embedded, then every block is loaded from the source, run on every story's residual stream
 * and freed before the next, then the final norm and the head score them. The backend holds one
 * block, the embedding or the head, and the residual streams of one group of stories
 * (options.maxActivationBytes), never the whole model. The result is the same, to the bit, as
 * llamaPerplexity on the loaded model (same kernels on the same shapes, sums in story order);
 * onWindow comes for a group's stories once the group is scored.
 * @example
 * const { perplexity } = await sourcePerplexity(la, cfg, overlaySource(checkpoint, pruned), stories);
 */
export async function sourcePerplexity(la: Linalg, cfg: LlamaConfig, source: TensorSource, stories: readonly (readonly number[])[], options: SourcePerplexityOptions = {}): Promise<PerplexityResult> {
  const fn = 'sourcePerplexity', max = cfg.maxPositionEmbeddings;
  if (!Array.isArray(stories)) throw typeError(fn, 'stories', stories, 'an array of token id arrays');
  const seqlen = checkInt(fn, 'options.seqlen', options.seqlen ?? max, 2, max);
  const budget = options.maxActivationBytes ?? STREAM_ACTIVATION_BYTES;
  if (typeof budget !== 'number' || !(budget > 0)) throw rangeError(fn, 'options.maxActivationBytes', budget, 'a positive number of bytes');
  for (const k of ['onWindow', 'onProgress'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'function') throw typeError(fn, `options.${k}`, options[k], 'a function');
  }
  // Every id checked before any work, naming the story and position.
  const windows = stories.map((ids, i) => {
    if (!Array.isArray(ids)) throw typeError(fn, `stories[${i}]`, ids, 'an array of token ids');
    for (let t = 0; t < ids.length; t++) {
      const v = ids[t];
      if (!(Number.isInteger(v) && v >= 0 && v < cfg.vocabSize)) throw rangeError(fn, `stories[${i}][${t}]`, v, `a token id in [0, ${cfg.vocabSize})`);
    }
    return ids.length > seqlen ? ids.slice(0, seqlen) : ids;
  });
  const cut = stories.filter((ids) => ids.length > seqlen).length;
  let nll = 0, count = 0;
  for (const group of storyGroups(windows, cfg.hiddenSize * 4, budget)) {
    const results = await scoreGroup(la, cfg, source, group.map((i) => windows[i]), (m) => options.onProgress?.(`stories ${group[0] + 1}–${group[group.length - 1] + 1} of ${windows.length}: ${m}`));
    group.forEach((i, g) => {
      options.onWindow?.(i, results[g], Math.max(0, windows[i].length - 1));
      nll += results[g];
      count += Math.max(0, windows[i].length - 1);
    });
  }
  if (count === 0) throw rangeError(fn, 'stories', `${stories.length} stories`, 'at least one story of two or more tokens');
  return { perplexity: Math.exp(nll / count), nll, count, windows: stories.length, cut };
}

/** Consecutive groups of story indices whose tokens x bytesPerToken stay within budget (one story at least per group). */
function storyGroups(windows: readonly (readonly number[])[], bytesPerToken: number, budget: number): number[][] {
  const groups: number[][] = [];
  let current: number[] = [], bytes = 0;
  windows.forEach((w, i) => {
    const b = w.length * bytesPerToken;
    if (current.length > 0 && bytes + b > budget) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += b;
  });
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Σ nll of each window (0 for a window under two tokens), every block streamed from the source once. */
async function scoreGroup(la: Linalg, cfg: LlamaConfig, source: TensorSource, windows: readonly (readonly number[])[], progress: (m: string) => void): Promise<number[]> {
  const s = la.scope();
  try {
    const scored = windows.map((w, i) => ({ w, i })).filter(({ w }) => w.length >= 2);
    const ids = scored.map(({ w }) => s.track(la.fromArray(Int32Array.from(w), w.length, 1, 'int32')));
    const embed = s.track(await loadLlamaEmbedding(la, cfg, source));
    const streams = ids.map((M) => s.track(la.matrix(M.rows, cfg.hiddenSize, 'float32')));
    for (let k = 0; k < ids.length; k++) await la.gather(embed, ids[k], streams[k]);
    s.release(embed);
    for (let b = 0; b < cfg.numLayers; b++) {
      const block = await loadLlamaBlock(la, cfg, source, b);
      try {
        for (const X of streams) await llamaBlock(la, cfg, block, X);
        progress(`block ${b + 1}/${cfg.numLayers}`); // the block still held: a caller sampling memory sees it
      } finally {
        freeLlamaBlock(block);
      }
    }
    const { norm, head } = await loadLlamaHead(la, cfg, source);
    s.track(norm);
    s.track(head);
    const out = windows.map(() => 0);
    for (let k = 0; k < streams.length; k++) {
      const T = ids[k].rows;
      out[scored[k].i] = await llamaHeadNll(la, { config: cfg, norm, head }, streams[k].view(0, 0, T - 1, cfg.hiddenSize), ids[k].view(1, 0, T - 1, 1));
    }
    return out;
  } finally {
    s.free();
  }
}
