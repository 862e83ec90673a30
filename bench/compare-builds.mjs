// Two builds of the library in one process, timed in turns: sgemm (as `iobs bench --quick` runs
// it) and SparseGPT on the 4096 x 4096 layer of `iobs bench --suite layers`. Each round runs the
// old build then the new one (or the reverse on odd rounds), so drift on a shared machine hits
// both alike; the report is the median of the rounds and the ratio new / old.
//   node --experimental-wasm-relaxed-simd bench/compare-builds.mjs --old ../old/dist --new dist [--rounds 5] [--size 4096] [--json]
// The old build may be the synchronous API (before the async facade): every call is awaited,
// which is harmless on a plain value.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    new: { type: 'string', default: 'dist' },
    rounds: { type: 'string', default: '5' },
    size: { type: 'string', default: '4096' },
    gemm: { type: 'string', default: '1024' },
    json: { type: 'boolean', default: false },
    skip: { type: 'string', default: '' },
  },
});
if (!values.old) {
  console.error('usage: node --experimental-wasm-relaxed-simd bench/compare-builds.mjs --old OLD/dist [--new dist] [--rounds 5] [--size 4096] [--gemm 1024] [--json]');
  process.exit(2);
}
const rounds = Number(values.rounds), size = Number(values.size), gemmN = Number(values.gemm);
const skip = new Set(values.skip.split(',').filter(Boolean));
const log = (s) => process.stderr.write(s + '\n');

async function load(dir) {
  const lib = await import(pathToFileURL(resolve(dir, 'index.js')).href);
  const la = await lib.init({ backend: 'wasm-relaxed' });
  return { lib, la, dir };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Deterministic N(0, 1)-ish values (sum of uniforms) so both builds see the same numbers. */
function values32(n, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      v += ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }
    out[i] = (v - 2) * 1.7;
  }
  return out;
}

/** GFLOP/s of n x n sgemm: the best of repeated calls for at least 0.5 s. */
async function timeGemm({ la }, n, A, B) {
  const a = la.fromArray(A, n, n), b = la.fromArray(B, n, n), c = la.matrix(n, n);
  try {
    await la.sgemm(a, b, c);
    let best = Infinity, spent = 0;
    while (spent < 0.5) {
      const t0 = performance.now();
      await la.sgemm(a, b, c);
      const dt = (performance.now() - t0) / 1000;
      best = Math.min(best, dt);
      spent += dt;
    }
    return (2 * n ** 3) / best / 1e9;
  } finally {
    a.free();
    b.free();
    c.free();
  }
}

/** The pruner's own seconds for SparseGPT 50% on a size x size layer with H = XᵀX of 2·size rows. */
async function timeSparseGPT({ lib, la }, n, Wv, X) {
  const acc = new lib.HessianAccumulator(la, n);
  try {
    await acc.addBatch({ data: X, rows: X.length / n, cols: n });
    const W = la.fromArray(Wv, n, n);
    const pattern = { kind: 'unstructured', sparsity: 0.5 };
    const options = lib.makePruner ? { pruner: lib.makePruner('sparsegpt'), pattern } : { method: 'sparsegpt', pattern };
    const r = await lib.pruneLayer(la, W, acc, options);
    r.weight.free();
    r.mask?.free?.();
    W.free();
    return { seconds: r.seconds, relError: r.relError };
  } finally {
    acc.free();
  }
}

const builds = [await load(values.old), await load(values.new)];
const A = values32(gemmN * gemmN, 1), B = values32(gemmN * gemmN, 2);
const Wv = values32(size * size, 3).map((v) => v / Math.sqrt(size));
const X = values32(2 * size * size, 4);
const results = { gemm: [[], []], sparsegpt: [[], []], relError: [null, null] };
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? [0, 1] : [1, 0];
  for (const i of order) {
    if (!skip.has('gemm')) results.gemm[i].push(await timeGemm(builds[i], gemmN, A, B));
    if (!skip.has('sparsegpt')) {
      const s = await timeSparseGPT(builds[i], size, Wv, X);
      results.sparsegpt[i].push(s.seconds);
      results.relError[i] = s.relError;
    }
    log(`round ${r + 1}/${rounds} ${i === 0 ? 'old' : 'new'}: sgemm ${results.gemm[i].at(-1)?.toFixed(1) ?? '-'} GFLOP/s, sparsegpt ${results.sparsegpt[i].at(-1)?.toFixed(2) ?? '-'} s`);
  }
}
const report = {
  rounds, gemmN, size,
  sgemm: { old: median(results.gemm[0]), new: median(results.gemm[1]), runs: results.gemm },
  sparsegpt: { old: median(results.sparsegpt[0]), new: median(results.sparsegpt[1]), runs: results.sparsegpt, relError: results.relError },
};
report.sgemm.ratio = report.sgemm.new / report.sgemm.old;
report.sparsegpt.ratio = report.sparsegpt.new / report.sparsegpt.old;
if (values.json) process.stdout.write(JSON.stringify(report) + '\n');
else {
  console.log(`sgemm ${gemmN}: old ${report.sgemm.old.toFixed(1)} GFLOP/s, new ${report.sgemm.new.toFixed(1)} GFLOP/s, new/old ${report.sgemm.ratio.toFixed(3)}`);
  console.log(`sparsegpt ${size}x${size} 50%: old ${report.sparsegpt.old.toFixed(2)} s, new ${report.sparsegpt.new.toFixed(2)} s, new/old ${report.sparsegpt.ratio.toFixed(3)} (relError old ${results.relError[0]}, new ${results.relError[1]})`);
}
