// The cases under vitest, once per backend (Node 20 gets relaxed SIMD from the flag in
// vitest.config.ts, so both Wasm builds run here), then the device-neutral ones once more on the
// strict backend (test/cases/strict-backend.ts: no host access, reads counted).
// IOBS_CASES=kernels (or algorithms) runs only that part of the list.
import { describe, it } from 'vitest';
import * as lib from '../../dist/index.js';
import { algorithmCases, allCases, casesFor, kernelCases, runCase, StrictBackend } from '../cases/index.js';

const pick = process.env.IOBS_CASES ?? 'all';
const cases = pick === 'kernels' ? kernelCases() : pick === 'algorithms' ? algorithmCases() : allCases();
const ref = await lib.init({ backend: 'reference' });

for (const name of ['wasm-relaxed', 'wasm-simd', 'reference', 'strict']) {
  describe(name, async () => {
    const strict = name === 'strict' ? new StrictBackend(new lib.ReferenceBackend()) : null;
    const la = strict ? new lib.Linalg(strict) : await lib.init({ backend: name });
    const ctx = { lib: lib as never, la: la as never, ref: ref as never, strict };
    for (const c of casesFor(cases, name)) it(c.name, () => runCase(c, ctx));
  });
}
