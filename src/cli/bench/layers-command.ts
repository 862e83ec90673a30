// The command side of `iobs bench --suite layers`: flags, backend, progress on stderr, and the
// table (or with --json one JSON line) on stdout. The suite itself is in layers.ts.
import { init } from '../../init.js';
import { LAYERS_USAGE, layersTable, parseLayersArgs, runLayersBench } from './layers.js';

export { LAYERS_USAGE };

/**
 * Runs `iobs bench --suite layers` with these arguments (without --suite); returns the exit code.
 * Errors are thrown, for `iobs bench` (src/cli/bench.ts) to report.
 */
export async function benchLayers(args: string[]): Promise<number> {
  const o = parseLayersArgs(args);
  if (o === 'help') {
    process.stdout.write(LAYERS_USAGE);
    return 0;
  }
  const log = (line: string) => process.stderr.write(line + '\n');
  const la = await init({ backend: o.backend, warn: log });
  log(`iobs bench: suite layers, backend ${la.backendName}, layer ${o.rows}x${o.cols}, ${o.samples} calibration rows, methods ${o.methods.join(', ')}`);
  const { hessianSeconds, results } = await runLayersBench(la, o, log);
  const text = layersTable(results);
  if (o.json) {
    process.stderr.write('\n' + text);
    process.stdout.write(JSON.stringify({ suite: 'layers', rows: o.rows, cols: o.cols, samples: o.samples, backend: la.backendName, hessianSeconds, results }) + '\n');
  } else {
    process.stdout.write(text);
  }
  return 0;
}
