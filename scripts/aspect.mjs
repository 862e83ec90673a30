// Runs the as-pect specs (assembly/__tests__) twice, as the two Wasm builds are made: with SIMD
// (as-pect.asconfig.json) and with relaxed SIMD too (as-pect.relaxed.asconfig.json), streams
// as-pect's output and ends with `as-pect: N passed, N failed`. Exit 1 on a failure, a run that
// ends without as-pect's summary (a compile error, a crash) or when no test ran.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const cli = fileURLToPath(new URL('../node_modules/@as-pect/cli/lib/test.js', import.meta.url));

// Node 20 runs relaxed SIMD only behind a flag; later versions have it on.
// The probe is the library's own (dist/ is built before any suite runs).
const { probeFeatures } = await import(new URL('../dist/index.js', import.meta.url).href);
const relaxedFlag = probeFeatures().relaxedSimd ? [] : ['--experimental-wasm-relaxed-simd'];

const VARIANTS = [
  { name: 'simd', asconfig: 'as-pect.asconfig.json', nodeArgs: [] },
  { name: 'relaxed', asconfig: 'as-pect.relaxed.asconfig.json', nodeArgs: relaxedFlag },
];
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

function runVariant({ asconfig, nodeArgs }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--enable-source-maps', ...nodeArgs, cli, '--as-config', asconfig, ...process.argv.slice(2)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      out += chunk;
    });
    child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    child.on('error', (err) => resolve({ code: 1, out: out + String(err) }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

let passed = 0, failed = 0;
for (const variant of VARIANTS) {
  const { code, out } = await runVariant(variant);
  if (out && !out.endsWith('\n')) process.stdout.write('\n'); // as-pect's summary ends mid-line
  // as-pect's own summary: `[Tests]: <passed> / <total>`.
  const m = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(strip(out));
  let p = 0, f = 0;
  if (m) {
    p = Number(m[1]);
    f = Number(m[2]) - p;
  }
  if (code !== 0 && f === 0) f = 1; // died without a counted failure (compile error, crash)
  console.log(`as-pect ${variant.name}: ${p} passed, ${f} failed${m ? '' : ` (no as-pect summary; exit code ${code})`}`);
  passed += p;
  failed += f;
}
if (passed + failed === 0) console.log('no tests ran');
console.log(`as-pect: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed + failed === 0 ? 1 : 0);
