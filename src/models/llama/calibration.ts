// Calibration windows for a Llama: the stories' token ids (each from BOS) laid end to end and cut
// into consecutive windows of `seqlen` tokens, as SparseGPT cuts its calibration text; the first
// `samples` windows are used. Deterministic, so a run can be repeated exactly.
import { checkInt, rangeError, typeError } from '../../core/errors.js';

/** What calibrationWindows made. */
export interface CalibrationWindows {
  /** `samples` windows (or every full window there is, when fewer and `samples` was a default), each `seqlen` ids. */
  windows: number[][];
  /** Full windows the stories hold. */
  available: number;
  /** Tokens the stories hold. */
  tokens: number;
}

/**
 * Consecutive windows of `seqlen` token ids from the stories laid end to end. With `strict` (an
 * explicit sample count) fewer full windows than `samples` is an error naming `samples`; without,
 * every full window is used up to `samples`.
 * @example
 * const stories = splitStories(text).map((s) => tok.encodeStory(s));
 * const { windows } = calibrationWindows(stories, 128, 256);   // 128 windows of 256 ids
 */
export function calibrationWindows(stories: readonly (readonly number[])[], samples: number, seqlen: number, strict = true): CalibrationWindows {
  const fn = 'calibrationWindows';
  if (!Array.isArray(stories)) throw typeError(fn, 'stories', stories, 'an array of token id arrays');
  checkInt(fn, 'samples', samples, 1);
  checkInt(fn, 'seqlen', seqlen, 2);
  if (typeof strict !== 'boolean') throw typeError(fn, 'strict', strict, 'a boolean');
  let tokens = 0;
  for (let i = 0; i < stories.length; i++) {
    if (!Array.isArray(stories[i])) throw typeError(fn, `stories[${i}]`, stories[i], 'an array of token ids');
    tokens += stories[i].length;
  }
  const available = Math.floor(tokens / seqlen);
  if (available === 0) throw rangeError(fn, 'stories', `${tokens} tokens`, `at least one window of seqlen = ${seqlen} tokens`);
  if (strict && available < samples) throw rangeError(fn, 'samples', samples, `at most ${available}: the text holds ${tokens} tokens, ${available} windows of ${seqlen}`);
  const count = Math.min(samples, available);
  const windows: number[][] = [];
  let window: number[] = [];
  outer: for (const ids of stories) {
    for (const id of ids) {
      window.push(id);
      if (window.length === seqlen) {
        windows.push(window);
        if (windows.length === count) break outer;
        window = [];
      }
    }
  }
  return { windows, available, tokens };
}
