// Going on after the GPU is lost midway through a whole-model run (a driver reset, a removed or
// sleeping GPU): the device backend's matrices are gone, but every layer already pruned has been
// read back to the host, so the run continues on the host backend from the layer it was in and
// keeps the rest. Only a lost device is recovered from; any other error is the caller's to see.
import type { Linalg } from '../linalg/linalg.js';

/**
 * After `error` from work on `la`: when la's device was lost, warns why and what happens next
 * (`next`, e.g. 'layer fc1 is redone; the 2 layers before it are kept') and returns the Linalg
 * on the host backend to redo the unfinished work with; otherwise throws `error` again.
 * @example
 * for (;;) {
 *   try { await pruneOne(la); break; }
 *   catch (e) { la = await continueAfterLoss(la, e, warn, 'the layer is redone'); }
 * }
 */
export async function continueAfterLoss(la: Linalg, error: unknown, warn: (message: string) => void, next: string): Promise<Linalg> {
  const r = la.canLoseDevice ? await la.recover() : null;
  if (r === null) throw error;
  warn(`iobs: the GPU device was lost (${r.reason}); going on with ${r.la.backendName}: ${next}`);
  return r.la;
}

/**
 * fn(la), run again on the host backend when la's device is lost during it (or was lost before:
 * then it runs there at once); for work that keeps nothing on the device between calls, such as
 * scoring a model from a file.
 * @example
 * const p = await runOrRecover(la, console.warn, 'the perplexity is computed there', (l) => sourcePerplexity(l, cfg, src, stories));
 */
export async function runOrRecover<T>(la: Linalg, warn: (message: string) => void, next: string, fn: (la: Linalg) => Promise<T>): Promise<T> {
  let current = la.canLoseDevice ? (await la.recover())?.la ?? la : la;
  for (;;) {
    try {
      return await fn(current);
    } catch (e) {
      current = await continueAfterLoss(current, e, warn, next);
    }
  }
}
