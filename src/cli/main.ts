// The iobs command line. Subcommands live in their own files; every one reports errors the same
// way (src/cli/errors.ts): one line on stderr, the usage only for usage mistakes, the stack only
// with --verbose, exit 2 for bad input and 1 for a failed computation.
import { setFlagsFromString } from 'node:v8';
import { probeFeatures } from '../backends/wasm/loader.js';
import { didYouMean } from '../core/errors.js';
import { UsageError } from './args.js';
import { runCommand } from './errors.js';

// Node 20 (V8 11.3) validates and compiles relaxed-SIMD Wasm only behind
// --experimental-wasm-relaxed-simd, so without this init() would fall back to the plain-SIMD
// build and the CLI (bench above all) would not run the best backend, the FMA one. A flag set
// at run time applies to modules validated and compiled afterwards, so this must come before
// any Wasm is touched: here, at the CLI's top level, before main() runs. Engines that have
// relaxed SIMD already (Node 22+) are left alone. `iobs bench` reports what the probe then says.
if (!probeFeatures().relaxedSimd) setFlagsFromString('--experimental-wasm-relaxed-simd');

// V8 compiles Wasm first with its baseline compiler (Liftoff) and moves a function to the
// optimizing one (TurboFan) only when it is entered again: the CLI's first, long kernel calls (a
// 4096² SYRK, the SparseGPT column loop) would run whole in baseline code, measured 3.4x slower
// (5.6 s against 1.65 s for the first 4096² SYRK). The kernel module is small, so compiling it
// with TurboFan up front costs little; a command makes few, long calls, so it always pays.
setFlagsFromString('--no-liftoff');

const USAGE = `usage: iobs <command> [options]

commands:
  prune MODEL --out OUT --method M (--sparsity S | --pattern N:M) --calib DATA [...]
                                              prune a whole model: .onnx or a Llama folder (prune --help)
  eval MODEL --data DATA [--labels L] [--baseline MODEL] [--json]
                                              perplexity of a Llama, top-1 accuracy of an ONNX classifier (eval --help)
  demo [--quick] [--json]                     prune the shipped models with every method and compare (demo --help)
  bench [--json] [--quick] [--backend NAME] [--kernels a,b]
                                              time every kernel and its peers (bench --help)
  bench --suite layers [--size N] [--json]    time every pruning method on a 4096x4096 layer
  prune-layer --weight W.npy (--hessian H.npy | --inputs X.npy) --method M (--sparsity S | --pattern N:M) --out P
                                              prune one linear layer (prune-layer --help)
  figure1 [--out fig1.svg] [--json] [--trials N] [--seed S]
                                              the paper's Figure 1 as an SVG (figure1 --help)
  recover --A A.npy --y y.npy --k K --method kiht|topk-iobs|iobs --out x.npy [...]
                                              sparse least squares (recover --help)
  help                                        this text

every command:
  --force      replace output files that exist (without it an existing output is an error)
  --verbose    on an error, print the stack too (anywhere on the line)

Errors print one line on stderr naming the flag. Exit status: 0 done, 2 bad flags or input,
1 a failed computation. Outputs are checked before any work and written only on success.
`;

const COMMANDS = ['prune', 'eval', 'demo', 'bench', 'prune-layer', 'figure1', 'recover', 'help'];

/** Runs `iobs` with these arguments (without node and the script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  return runCommand('', USAGE, argv, async (args, _ctx, global) => {
    const [command, ...rest] = args;
    // The command reports its own errors; --verbose goes along, wherever it was typed.
    const sub = global.verbose ? [...rest, '--verbose'] : rest;
    switch (command) {
      case 'bench': {
        const { bench } = await import('./bench.js');
        return bench(sub);
      }
      case 'prune-layer': {
        const { pruneLayerCommand } = await import('./prune-layer.js');
        return pruneLayerCommand(sub);
      }
      case 'prune': {
        const { pruneCommand } = await import('./prune.js');
        return pruneCommand(sub);
      }
      case 'eval': {
        const { evalCommand } = await import('./eval.js');
        return evalCommand(sub);
      }
      case 'demo': {
        const { demoCommand } = await import('./demo.js');
        return demoCommand(sub);
      }
      case 'figure1': {
        const { figure1 } = await import('./figure1.js');
        return figure1(sub);
      }
      case 'recover': {
        const { recoverCommand } = await import('./recover.js');
        return recoverCommand(sub);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}${didYouMean(command, COMMANDS)}`);
    }
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // runCommand reports every error; this is the last resort.
    process.stderr.write(`iobs: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
