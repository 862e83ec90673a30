// The kernel cases under vitest, once per backend (Node 20 gets relaxed SIMD from the flag in
// vitest.config.ts, so both Wasm builds run here).
import { describe, it } from 'vitest';
import * as lib from '../../dist/index.js';
import { allCases } from '../cases/index.js';

const cases = allCases();
const ref = await lib.init({ backend: 'reference' });

for (const name of ['wasm-relaxed', 'wasm-simd', 'reference']) {
  describe(name, async () => {
    const la = await lib.init({ backend: name });
    for (const c of cases) it(c.name, () => c.run({ lib: lib as never, la: la as never, ref: ref as never }));
  });
}
