// `iobs bench`: times each kernel of bench/kernels.ts at a few sizes on one backend, and the
// peers of bench/peers.ts on the same work, and prints GFLOP/s and our ratio to each peer.
// Progress goes to stderr; stdout holds the table, or with --json one JSON line.
import { defaultRegistry, init } from '../init.js';
import { probeFeatures } from '../backends/wasm/loader.js';
import { backendFlag, isDecimalInteger, listFlag, numberFlag, parseFlags, UsageError } from './args.js';
import { runCommand } from './errors.js';
import { didYouMean } from '../core/errors.js';
import { KERNELS, type KernelEntry } from './bench/kernels.js';
import { PEERS, type Peer } from './bench/peers.js';
import { bestTime, rng, type TimingOptions } from './bench/util.js';

export const BENCH_USAGE = `usage: iobs bench [--json] [--quick] [--backend NAME] [--kernels a,b] [--peers a,b|none] [--verbose]
       iobs bench --suite layers [options]   (pruning methods on a 4096x4096 layer; --suite layers --help)

  --json            last stdout line: {"results":[{kernel,n,threads,backend,gflops,seconds}...],"ratios":[...]}
  --quick           sizes 256, 512, 1024 (default adds 2048)
  --backend NAME    ${defaultRegistry().names().join(', ')} (default: the best that starts)
  --kernels a,b     kernels to time: ${KERNELS.map((k) => k.kernel).join(', ')} (default: all)
  --peers a,b|none  peers to time: ${PEERS.map((p) => p.backend).join(', ')} (default: all)
  --verbose         on an error, print the stack too

Exit status: 0 done, 2 bad flags, 1 a kernel failed its check or another error.
`;

/** One line of the results. */
export interface BenchRow {
  kernel: string;
  n: number;
  threads: number;
  backend: string;
  gflops: number;
  seconds: number;
}

export interface BenchRatio {
  kernel: string;
  n: number;
  peer: string;
  /** Our GFLOP/s over the peer's (above 1: we are faster). */
  ratio: number;
}

interface Options {
  json: boolean;
  sizes: number[];
  backend?: string;
  kernels: KernelEntry[];
  peers: Peer[];
  timing: TimingOptions;
}

function parse(args: string[]): Options | 'help' {
  const values = parseFlags(args, {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    backend: { type: 'string' },
    kernels: { type: 'string' },
    peers: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
    // Not in the usage text: for tests and quick experiments.
    sizes: { type: 'string' },
    'min-time': { type: 'string' },
  });
  if (values.help) return 'help';
  backendFlag(values.backend, defaultRegistry().names());
  const kernelNames = values.kernels === undefined ? KERNELS.map((k) => k.kernel) : listFlag('--kernels', values.kernels, KERNELS.map((k) => k.kernel), 'kernel');
  const peerNames = values.peers === undefined ? PEERS.map((p) => p.backend) : listFlag('--peers', values.peers, PEERS.map((p) => p.backend), 'peer', ['none']);
  let sizes = values.quick ? [256, 512, 1024] : [256, 512, 1024, 2048];
  if (values.sizes !== undefined) {
    const parts = values.sizes.split(',').map((s) => s.trim());
    sizes = parts.map(Number);
    if (parts.some((p) => !isDecimalInteger(p)) || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 8192)) {
      throw new UsageError(`--sizes ${JSON.stringify(values.sizes)}: expected comma-separated integers in 1..8192`);
    }
  }
  const minTime = numberFlag('--min-time', values['min-time'], (x) => x >= 0 && x <= 60, 'seconds in 0..60') ?? 0.3;
  const kernels = KERNELS.filter((k) => kernelNames.includes(k.kernel));
  return {
    json: values.json,
    sizes,
    backend: values.backend,
    kernels,
    peers: PEERS.filter((p) => peerNames.includes(p.backend) && kernelNames.includes(p.kernel)),
    timing: { minTime, minSamples: 3, warmup: true },
  };
}

const sig = (x: number, digits: number) => Number(x.toPrecision(digits));

function formatRatio(r: number): string {
  return r >= 10 ? `${r.toFixed(0)}x` : `${r.toFixed(2)}x`;
}

function formatSeconds(s: number): string {
  return s >= 1e-3 ? s.toPrecision(3) : s.toExponential(2);
}

function table(rows: BenchRow[], ratios: BenchRatio[], notes: Map<string, string>): string {
  const head = ['kernel', 'n', 'backend', 'GFLOP/s', 'seconds', 'ours vs peer (GFLOP/s ratio)'];
  const body = rows.map((r) => {
    const vs = ratios
      .filter((q) => q.kernel === r.kernel && q.n === r.n && !PEERS.some((p) => p.backend === r.backend))
      .map((q) => `${formatRatio(q.ratio)} ${q.peer}`)
      .join(', ');
    const note = notes.get(`${r.kernel}/${r.n}/${r.backend}`);
    return [r.kernel, String(r.n), r.backend, r.gflops.toFixed(2), formatSeconds(r.seconds), note ? `(${note})` : vs];
  });
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 1 || i === 3 || i === 4 ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd();
  return [line(head), line(width.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

/** `--suite NAME` (or `--suite=NAME`) taken out of args: the suite and the remaining arguments. */
function splitSuite(args: string[]): { suite: string; rest: string[] } {
  const rest = [...args];
  let suite = 'kernels';
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--suite' && i + 1 < rest.length) {
      suite = rest.splice(i, 2)[1];
      break;
    }
    if (rest[i].startsWith('--suite=')) {
      suite = rest.splice(i, 1)[0].slice('--suite='.length);
      break;
    }
  }
  return { suite, rest };
}

/** Runs `iobs bench` (or with --suite layers the layer suite); returns the exit code. */
export async function bench(args: string[]): Promise<number> {
  return runCommand('bench', BENCH_USAGE, args, async (rest, ctx) => {
    ctx.argFlags = { 'options.backend': '--backend', backend: '--backend' };
    const { suite, rest: suiteArgs } = splitSuite(rest);
    if (suite === 'layers') {
      const { benchLayers, LAYERS_USAGE } = await import('./bench/layers-command.js');
      ctx.usage = LAYERS_USAGE;
      return benchLayers(suiteArgs);
    }
    if (suite !== 'kernels') {
      throw new UsageError(`--suite ${JSON.stringify(suite)}: unknown suite (known: kernels, layers)${didYouMean(suite, ['kernels', 'layers'])}`);
    }
    const o = parse(suiteArgs);
    if (o === 'help') {
      process.stdout.write(BENCH_USAGE);
      return 0;
    }
    ctx.typed = o.backend === undefined ? {} : { '--backend': o.backend };
    return benchKernels(o);
  });
}

/** Times the kernels and their peers and prints the table. */
async function benchKernels(opts: Options): Promise<number> {
  const log = (line: string) => process.stderr.write(line + '\n');
  // Libraries loaded for the peers may console.log (tfjs does in Node); stdout is ours.
  console.log = console.info = console.debug = (...a: unknown[]) => console.error(...a);

  const la = await init({ backend: opts.backend, warn: log });
  const features = probeFeatures();
  log(`iobs bench: backend ${la.backendName} (Wasm SIMD ${features.simd}, relaxed SIMD ${features.relaxedSimd}), threads 1, sizes ${opts.sizes.join(', ')}`);
  if (opts.backend === undefined && !features.relaxedSimd) log('iobs bench: relaxed SIMD unavailable in this engine; the FMA build is not measured');

  const rows: BenchRow[] = [];
  const notes = new Map<string, string>();
  const row = (kernel: string, n: number, backend: string, flops: number, seconds: number): BenchRow => ({
    kernel, n, threads: 1, backend, gflops: sig(flops / seconds / 1e9, 5), seconds: sig(seconds, 5),
  });
  for (const k of opts.kernels) {
    for (const n of opts.sizes) {
      const rand = rng(n * 7919 + 17);
      const state = await k.prepare(la, n, rand);
      try {
        // finish(): a device backend's calls resolve once queued; the time is the work's.
        const { seconds, samples } = await bestTime(async () => {
          await k.run(state);
          await la.finish();
        }, opts.timing);
        await k.check(state, rand);
        const r = row(k.kernel, n, la.backendName, k.flops(n), seconds);
        rows.push(r);
        log(`  ${k.kernel} n=${n} ${la.backendName} ${r.gflops.toFixed(2)} GFLOP/s (best of ${samples})`);
      } finally {
        k.release(state);
      }
    }
  }
  for (const p of opts.peers) {
    const k = opts.kernels.find((e) => e.kernel === p.kernel)!;
    log(`iobs bench: peer ${p.backend} (${p.kernel})`);
    const got = await p.measure(opts.sizes, { timing: opts.timing, log });
    if (!Array.isArray(got)) {
      log(`iobs bench: peer ${p.backend} skipped: ${got.skipped}`);
      continue;
    }
    for (const t of got) {
      rows.push(row(p.kernel, t.n, p.backend, k.flops(t.n), t.seconds));
      if (t.note) notes.set(`${p.kernel}/${t.n}/${p.backend}`, t.note);
    }
  }

  const isPeer = (backend: string) => PEERS.some((p) => p.backend === backend);
  const ratios: BenchRatio[] = [];
  for (const ours of rows.filter((r) => !isPeer(r.backend))) {
    for (const p of opts.peers) {
      const theirs = rows.find((r) => r.backend === p.backend && r.kernel === ours.kernel && r.n === ours.n);
      if (theirs) ratios.push({ kernel: ours.kernel, n: ours.n, peer: p.backend, ratio: sig(ours.gflops / theirs.gflops, 4) });
    }
  }
  // Rows grouped by kernel, then size, ours first.
  const order = (r: BenchRow) => opts.kernels.findIndex((k) => k.kernel === r.kernel);
  rows.sort((a, b) => order(a) - order(b) || a.n - b.n || Number(isPeer(a.backend)) - Number(isPeer(b.backend)));

  const text = table(rows, ratios, notes);
  if (opts.json) {
    process.stderr.write('\n' + text);
    process.stdout.write(JSON.stringify({ results: rows, ratios }) + '\n');
  } else {
    process.stdout.write(text);
  }
  return 0;
}
