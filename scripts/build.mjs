// Builds dist/: both Wasm variants of assembly/, the ESM library bundle, the CLI, the typings.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });
run(bin('asc'), ['--config', 'asconfig.json', '--target', 'release', '-o', 'dist/iobs-simd.wasm']);
run(bin('asc'), ['--config', 'asconfig.json', '--target', 'release', '--enable', 'relaxed-simd', '-o', 'dist/iobs-relaxed.wasm']);

const common = { bundle: true, format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning' };
// onnxruntime-web stays an import of the package (a dependency): the library imports it lazily, on
// the first ONNX run, so a bundle must neither inline it (it is megabytes, and it finds its .wasm
// beside its own module) nor make every user load it. onnx-proto (CommonJS, found through "main",
// which the neutral platform does not read unless told) is bundled, so that dist/index.js still
// loads with no package resolution at all (Deno without npm, a plain browser page).
await build({
  ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js', platform: 'neutral', mainFields: ['module', 'main'],
  external: ['node:*', 'onnxruntime-web', 'webgpu'],
});
await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.js',
  platform: 'node',
  banner: { js: '#!/usr/bin/env node' },
  external: ['@tensorflow/*', 'onnxruntime-web', 'onnxruntime-node', 'webgpu'],
});
// The package's bin: executable in the tarball too, so ./dist/cli.js runs without `node` in front.
chmodSync('dist/cli.js', 0o755);
run(bin('tsc'), ['-p', 'tsconfig.json']);
