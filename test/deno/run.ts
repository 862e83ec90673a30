// The portable kernel cases under Deno: every backend that initialises here (Deno's V8 has
// relaxed SIMD on, so both Wasm builds and the reference run). Needs only --allow-read (the
// loader fetches the .wasm next to dist/index.js through a file: URL).
// A backend the engine supports (per probeFeatures) that fails to start counts as a failure;
// so does webgpu when IOBS_REQUIRE_WEBGPU=1 (CI: Deno's WebGPU on Mesa's lavapipe), which runs
// the device-neutral cases only.
//   DENO_NO_UPDATE_CHECK=1 deno run --no-lock --no-remote --no-npm --no-config --sloppy-imports \
//     --allow-read=. --allow-env=IOBS_REQUIRE_WEBGPU test/deno/run.ts
// (--sloppy-imports: the cases import './gemm.js' meaning gemm.ts, as TypeScript writes it.)
// A last argument `kernels` or `algorithms` runs only that part of the list.
import * as lib from '../../dist/index.js';
import { algorithmCases, allCases, casesFor, float64MatrixCases, kernelCases, runCases } from '../cases/index.ts';

// webgpu-f64: webgpu with float64MatrixKernels 'gpu', over the float64 matrix cases only (a
// software adapter keeps those kernels on the host by default; here their WGSL is tested).
const BACKENDS = ['wasm-relaxed', 'wasm-simd', 'reference', 'webgpu', 'webgpu-f64'];

let passed = 0, failed = 0;
const features = lib.probeFeatures();
const supported: Record<string, boolean> = {
  'wasm-relaxed': features.relaxedSimd, 'wasm-simd': features.simd, reference: true, webgpu: Deno.env.get('IOBS_REQUIRE_WEBGPU') === '1', 'webgpu-f64': Deno.env.get('IOBS_REQUIRE_WEBGPU') === '1',
};
console.log(`deno ${Deno.version.deno} (V8 ${Deno.version.v8}): simd ${features.simd}, relaxed simd ${features.relaxedSimd}`);
const pick = Deno.args[0] ?? 'all';
const cases = pick === 'kernels' ? kernelCases() : pick === 'algorithms' ? algorithmCases() : allCases();
const ref = await lib.init({ backend: 'reference' });
for (const name of BACKENDS) {
  let la;
  try {
    la = await lib.init(name === 'webgpu-f64' ? { backend: 'webgpu', float64MatrixKernels: 'gpu', warn: () => {}, fallback: false } : { backend: name, warn: () => {}, fallback: false });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (supported[name]) {
      console.log(`FAIL ${name}: supported by this engine but did not initialise: ${why}`);
      failed++;
    } else {
      console.log(`skip ${name}: ${why}`);
    }
    continue;
  }
  const r = await runCases(name === 'webgpu-f64' ? float64MatrixCases(cases, 'small') : casesFor(cases, name === 'webgpu' ? 'strict' : name), { lib: lib as never, la: la as never, ref: ref as never, strict: null }, (line) => console.log(line));
  console.log(`${name}: ${r.passed} passed, ${r.failed} failed`);
  passed += r.passed;
  failed += r.failed;
  la.dispose();
}
if (passed + failed === 0) console.log('no cases ran');
console.log(`deno: ${passed} passed, ${failed} failed`);
Deno.exit(failed > 0 || passed + failed === 0 ? 1 : 0);
