// Shared pieces of `iobs bench`: a seeded generator, random fills, the spot check that keeps
// the timed work honest, and the best-of timing loop.
import type { Linalg } from '../../linalg/linalg.js';

/**
 * One kernel `iobs bench` times (see kernels.ts). Everything goes through the async facade: a run
 * resolves when its kernels have (each call awaited), and a check reads results with la.read.
 */
export interface KernelEntryLike<S = any> {
  /** BLAS/LAPACK name, as in the results' `kernel` field. */
  kernel: string;
  /** Floating-point operations of one run at size n. */
  flops(n: number): number;
  /** Inputs and outputs for size n in la's memory. */
  prepare(la: Linalg, n: number, rand: () => number): Promise<S>;
  /** One run of the kernel (timed). */
  run(state: S): Promise<void>;
  /** Rejects when the last run's result is wrong. */
  check(state: S, rand: () => number): Promise<void>;
  /** Frees what prepare made. */
  release(state: S): void;
}

/** mulberry32: small, fast, seeded; the same inputs on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [-1, 1). */
export function randomValues(length: number, rand: () => number): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = 2 * rand() - 1;
  return out;
}

/** Row-major dense n x n data of a product C = A B, at element offsets. */
export interface GemmData {
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  c: ArrayLike<number>;
  /** Element offset of (0, 0) of each, and their row strides (default: 0 and n). */
  aOffset?: number;
  bOffset?: number;
  cOffset?: number;
}

/**
 * Compares `samples` random entries of C = A B (n x n x n, NN) with float64 dot products and
 * throws when one is off by more than the forward error bound of a length-n dot product in
 * the given unit roundoff (times a safety factor). Catches skipped or wrong work, not ulps.
 */
export function checkGemm(what: string, n: number, d: GemmData, unitRoundoff: number, rand: () => number, samples = 8): void {
  const ao = d.aOffset ?? 0, bo = d.bOffset ?? 0, co = d.cOffset ?? 0;
  for (let s = 0; s < samples; s++) {
    const i = Math.floor(rand() * n), j = Math.floor(rand() * n);
    let exact = 0, magnitude = 0;
    for (let k = 0; k < n; k++) {
      const p = d.a[ao + i * n + k] * d.b[bo + k * n + j];
      exact += p;
      magnitude += Math.abs(p);
    }
    const got = d.c[co + i * n + j];
    const bound = 2 * (n + 2) * unitRoundoff * magnitude + 1e-30;
    if (!(Math.abs(got - exact) <= bound)) {
      throw new Error(`bench: ${what} n=${n} gives a wrong result: C[${i},${j}] = ${got}, float64 dot product ${exact} (allowed error ${bound.toExponential(2)})`);
    }
  }
}

export const U32 = 2 ** -24;
export const U64 = 2 ** -53;

/** How long to time and how. */
export interface TimingOptions {
  /** Keep sampling until this many seconds have been spent timing (default 0.3). */
  minTime: number;
  /** And until at least this many samples (default 3). */
  minSamples: number;
  /** One untimed warm-up run first (default true). */
  warmup: boolean;
}

/**
 * Best time of one run in seconds. Runs shorter than ~5 ms are batched so each sample spans
 * at least that long (timer resolution and call overhead stay small); a sample's time is the
 * batch's mean. The best sample wins: the machine is shared and noise only ever adds time.
 */
export async function bestTime(run: () => void | Promise<void>, o: TimingOptions): Promise<{ seconds: number; samples: number }> {
  const now = () => performance.now() / 1e3;
  let t0 = now();
  if (o.warmup) {
    await run();
  }
  // Calibrate the batch from the warm-up (or a first run when there was none).
  if (!o.warmup) t0 = now();
  let one = o.warmup ? now() - t0 : -1;
  let best = Infinity, samples = 0, spent = 0;
  if (one < 0) {
    await run();
    one = now() - t0;
    best = one;
    samples = 1;
    spent = one;
  }
  const batch = Math.max(1, Math.min(1 << 20, Math.ceil(0.005 / Math.max(one, 1e-7))));
  while (samples < o.minSamples || spent < o.minTime) {
    const s0 = now();
    for (let r = 0; r < batch; r++) await run();
    const dt = now() - s0;
    spent += dt;
    best = Math.min(best, dt / batch);
    samples++;
  }
  return { seconds: best, samples };
}
