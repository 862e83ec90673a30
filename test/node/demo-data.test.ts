// demo/ holds what `npm run demo` needs, cut from ../shared/data by scripts/make-demo-data.mjs.
// Where shared/data is present, the committed files must be exactly what the script makes, so the
// slices the README names are the slices shipped.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { NO_SHARED_DATA, SHARED_DATA } from './shared-data.js';

describe(`demo data${NO_SHARED_DATA}`, () => {
  it.skipIf(!SHARED_DATA)('is what scripts/make-demo-data.mjs makes from shared/data', () => {
    const r = spawnSync(process.execPath, ['scripts/make-demo-data.mjs', '--check', '--shared', SHARED_DATA!], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/all 13 files/);
  });
});
