// Other ways to do the same work, timed in the same run so ratios compare like with like:
// TensorFlow.js's Wasm backend, a hand-written JS loop, and numpy over OpenBLAS, each held to
// one thread. A peer that cannot run here (package or interpreter missing) is skipped with a
// note on stderr; a peer whose result is wrong aborts the bench like one of ours would.
import { spawn } from 'node:child_process';
import { bestTime, checkGemm, randomValues, rng, U32, type TimingOptions } from './util.js';

/** What a peer measured at one size. */
export interface PeerTiming {
  n: number;
  seconds: number;
  /** Said in the human output (e.g. "single run"). */
  note?: string;
}

export interface PeerContext {
  timing: TimingOptions;
  /** Progress and notes (stderr). */
  log(line: string): void;
}

export interface Peer {
  /** Name in the results' `backend` field. */
  backend: string;
  /** The kernel of ours it is compared with. */
  kernel: string;
  /** Times every size, or says why it cannot run here. */
  measure(sizes: readonly number[], ctx: PeerContext): Promise<PeerTiming[] | { skipped: string }>;
}

const SEED = 0x10b5;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** @tensorflow/tfjs-backend-wasm's matMul on one thread; dataSync() is inside the timing. */
const tfjsWasm: Peer = {
  backend: 'tfjs-wasm',
  kernel: 'sgemm',
  async measure(sizes, ctx) {
    let tf: typeof import('@tensorflow/tfjs-core');
    try {
      tf = await import('@tensorflow/tfjs-core');
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setThreadsCount(1); // must precede setBackend('wasm')
      if (!(await tf.setBackend('wasm'))) return { skipped: 'tf.setBackend("wasm") failed' };
      await tf.ready();
    } catch (err) {
      // They are optional peers of the package, absent from a plain `npm install iobs`.
      const missing = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
      const hint = missing ? ' (optional peers: npm install @tensorflow/tfjs-core@4 @tensorflow/tfjs-backend-wasm@4 to time them)' : '';
      return { skipped: `@tensorflow/tfjs-core / tfjs-backend-wasm could not be loaded: ${errorText(err)}${hint}` };
    }
    ctx.log(`tfjs-wasm: tfjs ${tf.version_core}, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads 1`);
    const out: PeerTiming[] = [];
    const rand = rng(SEED);
    for (const n of sizes) {
      const a = Float32Array.from(randomValues(n * n, rand));
      const b = Float32Array.from(randomValues(n * n, rand));
      const ta = tf.tensor2d(a, [n, n], 'float32');
      const tb = tf.tensor2d(b, [n, n], 'float32');
      let c: ArrayLike<number> = new Float32Array(0);
      const run = () => {
        const tc = tf.matMul(ta, tb);
        c = tc.dataSync() as Float32Array;
        tc.dispose();
      };
      const { seconds } = await bestTime(run, ctx.timing);
      checkGemm('tfjs-wasm matMul', n, { a, b, c }, U32, rand);
      ta.dispose();
      tb.dispose();
      out.push({ n, seconds });
      ctx.log(`  sgemm n=${n} tfjs-wasm ${gflops(n, seconds)} GFLOP/s`);
    }
    return out;
  },
};

/** C = A B the way a careful JS programmer writes it: i-k-j order over Float32Array. */
export function plainMatmul(a: Float32Array, b: Float32Array, c: Float32Array, n: number): void {
  c.fill(0);
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[ci + k];
      const bk = k * n;
      for (let j = 0; j < n; j++) c[ci + j] += aik * b[bk + j];
    }
  }
}

/** Sizes from which the plain loop is timed once (no warm-up, one sample): it takes seconds. */
export const PLAIN_SINGLE_RUN_FROM = 2048;

const plainJs: Peer = {
  backend: 'plain-js',
  kernel: 'sgemm',
  async measure(sizes, ctx) {
    const out: PeerTiming[] = [];
    const rand = rng(SEED);
    for (const n of sizes) {
      const a = Float32Array.from(randomValues(n * n, rand));
      const b = Float32Array.from(randomValues(n * n, rand));
      const c = new Float32Array(n * n);
      const single = n >= PLAIN_SINGLE_RUN_FROM;
      if (single) ctx.log(`  sgemm n=${n} plain-js: one timed run only (about 2n³ = ${(2 * n ** 3 / 1e9).toFixed(1)} GFLOP of scalar JS)`);
      const timing = single ? { minTime: 0, minSamples: 1, warmup: false } : ctx.timing;
      const { seconds } = await bestTime(() => plainMatmul(a, b, c, n), timing);
      checkGemm('plain-js loop', n, { a, b, c }, U32, rand);
      out.push({ n, seconds, note: single ? 'single run' : undefined });
      ctx.log(`  sgemm n=${n} plain-js ${gflops(n, seconds)} GFLOP/s`);
    }
    return out;
  },
};

// Run by python3 -c: times `a @ b` in float32 for each size the way bestTime does, checks a
// few entries against float64 sums, prints one JSON line. Exit 3: numpy missing; 4: wrong.
const NUMPY_SCRIPT = String.raw`
import json, math, sys, time
try:
    import numpy as np
except Exception as e:
    print("numpy could not be imported: %s" % e, file=sys.stderr)
    sys.exit(3)
try:
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    blas = "%s %s" % (blas["name"], blas["version"])
except Exception:
    blas = "unknown BLAS"
print("numpy-openblas: numpy %s over %s, OPENBLAS_NUM_THREADS=%s" % (np.__version__, blas, __import__("os").environ.get("OPENBLAS_NUM_THREADS")), file=sys.stderr, flush=True)
sizes = json.loads(sys.argv[1]); min_time = float(sys.argv[2]); min_samples = int(sys.argv[3])
rng = np.random.default_rng(1)
out = []
for n in sizes:
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    t0 = time.perf_counter(); c = a @ b; one = time.perf_counter() - t0
    batch = max(1, min(1 << 20, math.ceil(0.005 / max(one, 1e-7))))
    best = math.inf; spent = 0.0; samples = 0
    while samples < min_samples or spent < min_time:
        t0 = time.perf_counter()
        for _ in range(batch):
            c = a @ b
        dt = time.perf_counter() - t0
        spent += dt; samples += 1; best = min(best, dt / batch)
    for _ in range(8):
        i, j = (int(x) for x in rng.integers(0, n, size=2))
        p = a[i, :].astype(np.float64) * b[:, j].astype(np.float64)
        exact = float(p.sum()); bound = 2 * (n + 2) * 2.0 ** -24 * float(np.abs(p).sum()) + 1e-30
        if not abs(float(c[i, j]) - exact) <= bound:
            print("numpy a @ b n=%d gives a wrong result: C[%d,%d] = %r, float64 sum %r" % (n, i, j, float(c[i, j]), exact), file=sys.stderr)
            sys.exit(4)
    print("  sgemm n=%d numpy-openblas %.2f GFLOP/s" % (n, 2 * n ** 3 / best / 1e9), file=sys.stderr, flush=True)
    out.append({"n": n, "seconds": best})
print(json.dumps({"results": out}))
`;

/** numpy `a @ b` in float32 over its BLAS (OpenBLAS in the wheels), one thread. */
const numpyOpenblas: Peer = {
  backend: 'numpy-openblas',
  kernel: 'sgemm',
  measure(sizes, ctx) {
    const t = ctx.timing;
    const args = ['-c', NUMPY_SCRIPT, JSON.stringify(sizes), String(t.minTime), String(t.minSamples)];
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    return new Promise((resolve, reject) => {
      const child = spawn('python3', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => {
        stderr += d;
        process.stderr.write(d);
      });
      child.on('error', (err) => resolve({ skipped: `python3 could not be started: ${errorText(err)}` }));
      child.on('close', (code) => {
        if (code === 3) return resolve({ skipped: stderr.trim() });
        if (code !== 0) return reject(new Error(`bench: numpy peer failed (exit ${code}): ${stderr.trim()}`));
        try {
          const last = stdout.trim().split('\n').pop()!;
          const parsed = JSON.parse(last) as { results: PeerTiming[] };
          resolve(parsed.results.map((r) => ({ n: r.n, seconds: r.seconds })));
        } catch (err) {
          reject(new Error(`bench: numpy peer printed no JSON: ${errorText(err)}: ${stdout.slice(-200)}`));
        }
      });
    });
  },
};

function gflops(n: number, seconds: number): string {
  return ((2 * n ** 3) / seconds / 1e9).toFixed(2);
}

/** Every peer, in the order they are timed and listed. */
export const PEERS: readonly Peer[] = [numpyOpenblas, tfjsWasm, plainJs];
