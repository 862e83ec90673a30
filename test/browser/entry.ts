// The portable kernel cases in a browser page: bundled by test/browser/run.mjs with the .wasm
// files beside the bundle (the loader finds them through import.meta.url), then run for every
// backend that initialises. Results go to window.__iobsResult for the runner to collect.
// webgpu (Chromium's SwiftShader adapter, with --enable-unsafe-webgpu) runs the device-neutral
// cases; with ?requireWebgpu=1 (the runner passes it when IOBS_REQUIRE_WEBGPU=1) a webgpu that
// does not start is a failure.
import * as lib from '../../dist/index.js';
import { algorithmCases, allCases, casesFor, float64MatrixCases, kernelCases, runCases } from '../cases/index.js';

export interface BrowserResult {
  passed: number;
  failed: number;
  lines: string[];
}

declare global {
  interface Window {
    __iobsResult?: BrowserResult;
  }
}

// webgpu-f64: webgpu with float64MatrixKernels 'gpu', over the float64 matrix cases only (a
// software adapter keeps those kernels on the host by default; here their WGSL is tested).
const BACKENDS = ['wasm-relaxed', 'wasm-simd', 'reference', 'webgpu', 'webgpu-f64'];

async function main(): Promise<BrowserResult> {
  const lines: string[] = [];
  const log = (line: string) => {
    lines.push(line);
    console.log(line);
  };
  let passed = 0, failed = 0;
  const features = lib.probeFeatures();
  const query = new URLSearchParams(location.search);
  const supported: Record<string, boolean> = {
    'wasm-relaxed': features.relaxedSimd, 'wasm-simd': features.simd, reference: true, webgpu: query.get('requireWebgpu') === '1', 'webgpu-f64': query.get('requireWebgpu') === '1',
  };
  log(`${navigator.userAgent}: simd ${features.simd}, relaxed simd ${features.relaxedSimd}`);
  const pick = query.get('cases') ?? 'all';
  const cases = pick === 'kernels' ? kernelCases() : pick === 'algorithms' ? algorithmCases() : allCases();
  const ref = await lib.init({ backend: 'reference' });
  for (const name of BACKENDS) {
    let la;
    try {
      la = await lib.init(name === 'webgpu-f64' ? { backend: 'webgpu', float64MatrixKernels: 'gpu', warn: () => {}, fallback: false } : { backend: name, warn: () => {}, fallback: false });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      // A backend this engine supports that fails to start (a missing .wasm, say) is a failure.
      if (supported[name]) {
        log(`FAIL ${name}: supported by this engine but did not initialise: ${why}`);
        failed++;
      } else {
        log(`skip ${name}: ${why}`);
      }
      continue;
    }
    const r = await runCases(name === 'webgpu-f64' ? float64MatrixCases(cases, 'small') : casesFor(cases, name === 'webgpu' ? 'strict' : name), { lib: lib as never, la: la as never, ref: ref as never, strict: null }, log);
    log(`${name}: ${r.passed} passed, ${r.failed} failed`);
    passed += r.passed;
    failed += r.failed;
    la.dispose();
  }
  return { passed, failed, lines };
}

main().then(
  (result) => {
    window.__iobsResult = result;
  },
  (err) => {
    const message = err instanceof Error ? err.stack ?? err.message : String(err);
    console.error(message);
    window.__iobsResult = { passed: 0, failed: 1, lines: [`FAIL runner: ${message}`] };
  },
);
