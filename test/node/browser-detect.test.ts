// Which browser the Chromium suite runs on, and what happens without one: a path named in CHROMIUM
// must exist; a missing system browser is a skip (one line, exit 0 overall) except under CI=true,
// where it fails. No browser is launched here: each case stops before anything is bundled.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findChromium } from '../browser/find-chromium.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'iobs-browser-detect-'));
const missing = join(dir, 'no-chromium');
const fake = join(dir, 'chromium');
writeFileSync(fake, '#!/bin/sh\nexit 1\n');
chmodSync(fake, 0o755);
const plainFile = join(dir, 'not-executable');
writeFileSync(plainFile, '');

/** The environment without CHROMIUM and CI, plus `extra`. */
function envWith(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.CHROMIUM;
  delete env.CI;
  return { ...env, ...extra };
}

function runNode(script: string, args: string[], extra: Record<string, string>) {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: root, env: envWith(extra), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('findChromium', () => {
  it('uses CHROMIUM when it names an executable, and the system browser otherwise', () => {
    expect(findChromium({ CHROMIUM: fake, IOBS_SYSTEM_CHROMIUM: missing })).toEqual({ path: fake });
    expect(findChromium({ IOBS_SYSTEM_CHROMIUM: fake })).toEqual({ path: fake });
    expect(findChromium({ IOBS_SYSTEM_CHROMIUM: fake, CI: 'true' })).toEqual({ path: fake });
  });

  it('refuses a CHROMIUM that is missing or not executable, in CI or not', () => {
    for (const CHROMIUM of [missing, plainFile, dir]) {
      for (const ci of [{}, { CI: 'true' }]) {
        const got = findChromium({ CHROMIUM, IOBS_SYSTEM_CHROMIUM: fake, ...ci });
        expect(got).toEqual({ error: expect.stringContaining(`CHROMIUM=${CHROMIUM} is not an executable file`) });
      }
    }
  });

  it('skips without a system browser, except under CI=true', () => {
    expect(findChromium({ IOBS_SYSTEM_CHROMIUM: missing })).toEqual({ skip: expect.stringContaining(`no Chromium at ${missing}`) });
    expect(findChromium({ IOBS_SYSTEM_CHROMIUM: missing, CI: 'false' })).toHaveProperty('skip');
    expect(findChromium({ IOBS_SYSTEM_CHROMIUM: missing, CI: 'true' })).toEqual({ error: expect.stringContaining('apt-get install chromium') });
  });
});

describe('the browser runner and the orchestrator without a browser', () => {
  it('fails on a CHROMIUM that does not exist, with or without CI', () => {
    for (const ci of [{}, { CI: 'true' }]) {
      const r = runNode('test/browser/run.mjs', [], { CHROMIUM: missing, ...ci });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`CHROMIUM=${missing} is not an executable file`);
      expect(r.stdout.trim()).toBe('chromium: 0 passed, 1 failed');
    }
  });

  it('skips with one line, and npm test passes, where there is no system browser', () => {
    const r = runNode('scripts/test.mjs', ['chromium'], { IOBS_SYSTEM_CHROMIUM: missing });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const skipLine = `chromium: skipped (no Chromium at ${missing}; to run the browser suite, install it (apt-get install chromium) or set CHROMIUM=/path/to/chromium)`;
    const lines = r.stdout.trim().split('\n');
    // Once from the runner and once in the summary, then the total.
    expect(lines.filter((l) => l.includes('skipped'))).toEqual([skipLine, skipLine]);
    expect(lines.slice(-2)).toEqual([skipLine, 'total: 0 passed, 0 failed']);
    expect(r.stderr).toBe('');
  });

  it('fails where there is no system browser under CI=true, saying how to install one', () => {
    const r = runNode('scripts/test.mjs', ['chromium'], { IOBS_SYSTEM_CHROMIUM: missing, CI: 'true' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no Chromium at ${missing}`);
    expect(r.stderr).toContain('apt-get install chromium');
    expect(r.stderr).toContain('CHROMIUM=/path/to/chromium');
    expect(r.stdout.trim().split('\n').slice(-2)).toEqual(['chromium: 0 passed, 1 failed', 'total: 0 passed, 1 failed']);
  });
});
