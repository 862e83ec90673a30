// A small seeded random source for experiments: the same seed gives the same numbers on every
// engine (32-bit integer arithmetic only), so a figure can be rebuilt exactly.

/**
 * Seeded uniform and normal numbers: mulberry32 for 32-bit uniforms, and the polar Box–Muller
 * transform (two normals per accepted pair) for normals.
 *
 * @example
 * const rng = new SeededRandom(7);
 * rng.uniform();   // the same number in every run, in [0, 1)
 */
export class SeededRandom {
  private state: number;
  private cached: number | null = null;

  /** Any integer seed; 0 is allowed. */
  constructor(seed: number) {
    this.state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    if (this.cached !== null) {
      const v = this.cached;
      this.cached = null;
      return v;
    }
    let a: number, b: number, r: number;
    do {
      a = 2 * this.uniform() - 1;
      b = 2 * this.uniform() - 1;
      r = a * a + b * b;
    } while (r >= 1 || r === 0);
    const f = Math.sqrt((-2 * Math.log(r)) / r);
    this.cached = b * f;
    return a * f;
  }

  /** Integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** `count` distinct integers from [0, n), in the order drawn (partial Fisher–Yates). */
  sample(n: number, count: number): number[] {
    const pool = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + this.below(n - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, count);
  }
}
