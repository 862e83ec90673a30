// Runs a TypeScript script of this repository (bench/*.ts) under Node: bundles it with esbuild into
// build/scripts/<name>.mjs (onnxruntime-node, a native addon, stays external), builds dist/ first
// when the .wasm kernels are missing, then runs the bundle from the project root with the remaining
// arguments. Exits with the script's exit code.
//   node scripts/run-ts.mjs bench/layer-table.ts [args...]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const [entry, ...args] = process.argv.slice(2);
if (!entry || !entry.endsWith('.ts')) {
  console.error('usage: node scripts/run-ts.mjs <script.ts> [args...]');
  process.exit(2);
}
process.chdir(root);
if (!existsSync('dist/iobs-relaxed.wasm') || !existsSync('dist/iobs-simd.wasm')) {
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const outfile = `build/scripts/${basename(entry, '.ts')}.mjs`;
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'es2022',
  sourcemap: 'inline',
  logLevel: 'warning',
  external: ['onnxruntime-node', 'onnxruntime-web', '@tensorflow/*'],
  // Bundled CommonJS (protobufjs) may call require; give the ES module one.
  banner: { js: "import { createRequire as __iobsRequire } from 'node:module'; const require = __iobsRequire(import.meta.url);" },
});
// Node and V8 flags given to this script (--no-liftoff, --experimental-wasm-relaxed-simd, …) go to
// the script's own process too.
const r = spawnSync(process.execPath, [...process.execArgv, '--enable-source-maps', outfile, ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
