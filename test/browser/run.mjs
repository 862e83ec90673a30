// Runs the portable kernel cases in headless Chromium: bundles test/browser/entry.ts with
// esbuild into a temp folder next to dist's .wasm files, serves that folder on 127.0.0.1,
// opens it in /usr/bin/chromium (through playwright-core, fresh profile, no network services)
// and prints `chromium: N passed, N failed`. Exit 1 on any failure or when nothing ran. Without a
// browser (find-chromium.mjs decides) it prints `chromium: skipped (why; how to enable)` and
// exits 77, which scripts/test.mjs reports as skipped; under CI=true a missing browser fails.
//   node test/browser/run.mjs            (CHROMIUM=/path/to/chrome to use another binary)
//   node test/browser/run.mjs kernels    (only the kernel cases; `algorithms` for the others)
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { findChromium } from './find-chromium.mjs';

/** Exit code of a skipped suite (as in automake's test harness); scripts/test.mjs knows it. */
const SKIPPED = 77;

const root = fileURLToPath(new URL('../../', import.meta.url));
// A guard against a page that never reports, not a speed limit: every case on four backends,
// webgpu on SwiftShader, took 396 s on an idle 2-core machine (2026-12-02).
const TIMEOUT_MS = Number(process.env.IOBS_BROWSER_TIMEOUT_MS ?? 1_200_000);
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};

function serve(dir) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(dir + sep)) {
      res.writeHead(403).end();
      return;
    }
    let body;
    try {
      body = readFileSync(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function main(executablePath) {
  const work = mkdtempSync(join(tmpdir(), 'iobs-browser-'));
  const site = join(work, 'site');
  const profile = join(work, 'profile');
  let server, context;
  try {
    await build({
      entryPoints: [join(root, 'test/browser/entry.ts')],
      outfile: join(site, 'entry.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      sourcemap: 'inline',
      logLevel: 'warning',
      // dist/index.js guards its Node-only imports (node:fs for file: URLs) behind a runtime check.
      external: ['node:*'],
    });
    // The bundle keeps `new URL('./iobs-*.wasm', import.meta.url)`: the files go beside it.
    for (const name of ['iobs-simd.wasm', 'iobs-relaxed.wasm']) copyFileSync(join(root, 'dist', name), join(site, name));
    writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>iobs kernels</title><link rel="icon" href="data:,"><script type="module" src="./entry.js"></script>\n');

    server = await serve(site);
    const { port } = server.address();
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
        // WebGPU (on Chromium's own SwiftShader where there is no GPU; the webgpu cases run on it).
        '--enable-unsafe-webgpu'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    let pageErrors = 0;
    page.on('console', (msg) => {
      if (msg.type() === 'error') console.error(`[chromium console.error] ${msg.text()}`);
    });
    page.on('pageerror', (err) => {
      pageErrors++;
      console.error(`[chromium pageerror] ${err.stack ?? err.message}`);
    });
    page.on('requestfailed', (req) => console.error(`[chromium requestfailed] ${req.url()}: ${req.failure()?.errorText}`));

    const requireGpu = process.env.IOBS_REQUIRE_WEBGPU === '1' ? '&requireWebgpu=1' : '';
    await page.goto(`http://127.0.0.1:${port}/?cases=${encodeURIComponent(process.argv[2] ?? 'all')}${requireGpu}`);
    await page.waitForFunction(() => window.__iobsResult !== undefined, null, { timeout: TIMEOUT_MS, polling: 100 });
    const result = await page.evaluate(() => window.__iobsResult);
    for (const line of result.lines) console.log(line);
    return { passed: result.passed, failed: result.failed + pageErrors };
  } finally {
    await context?.close().catch((err) => console.error(`closing chromium: ${err.message}`));
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    rmSync(work, { recursive: true, force: true });
  }
}

const browser = findChromium();
if (browser.skip) {
  console.log(`chromium: skipped (${browser.skip})`);
  process.exit(SKIPPED);
}
if (browser.error) {
  console.error(`FAIL chromium runner: ${browser.error}`);
  console.log('chromium: 0 passed, 1 failed');
  process.exit(1);
}
let passed = 0, failed = 0;
try {
  ({ passed, failed } = await main(browser.path));
} catch (err) {
  console.error(`FAIL chromium runner: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  failed++;
}
if (passed + failed === 0) console.log('no cases ran');
console.log(`chromium: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed + failed === 0 ? 1 : 0);
