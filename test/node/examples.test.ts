// The three ways in (examples/README.md), each run in its own runtime: the Node script with
// `node`, the Deno script with the repository's `deno` binary and exactly the permissions the
// README's command gives (read from the README, so a permission missing there fails here), and
// the HTML page in headless Chromium, served from the repository's root as a user would serve it.
// What each prints is checked: every layer of the CNN pruned to 50%, the dense top-1 equal to
// onnxruntime-node's on the same 500 evaluation digits, the pruned top-1 at least 90%.
// Needs dist/ built (scripts/test.mjs builds it first). Without Chromium (find-chromium.mjs
// decides) the page's test is skipped with one line, except under CI=true, where it fails.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type * as OrtNode from 'onnxruntime-node';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseIdx } from '../../src/io/idx.js';
import { mnistInputs, mnistLabels } from '../../src/models/mnist.js';
import { findChromium } from '../browser/find-chromium.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(root, 'examples/README.md'), 'utf8');
const EVALUATION = 500;
const LAYERS = ['/conv1/Conv', '/conv2/Conv', '/fc1/Gemm', '/fc2/Gemm'];

/** The README's shell command that starts with `program ` (from its ```sh blocks), split into words. */
function readmeCommand(program: string): string[] {
  const lines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split('\n')).map((l) => l.trim());
  const hits = lines.filter((l) => l.startsWith(`${program} `));
  expect(hits, `one \`${program} …\` command in examples/README.md`).toHaveLength(1);
  return hits[0].split(/\s+/);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '', stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The dense model's correct count on the evaluation digits the examples use, by onnxruntime-node. */
let referenceCorrect = -1;
beforeAll(async () => {
  const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof OrtNode;
  const idx = (name: string) => parseIdx(gunzipSync(readFileSync(join(root, 'demo/data', name))), name);
  const x = mnistInputs(idx('mnist-eval-images-idx3-ubyte.gz'), 0, EVALUATION);
  const labels = mnistLabels(idx('mnist-eval-labels-idx1-ubyte.gz'), 0, EVALUATION);
  const sess = await ort.InferenceSession.create(join(root, 'demo/models/mnist-cnn.onnx'));
  try {
    const out = await sess.run({ input: new ort.Tensor('float32', x, [EVALUATION, 1, 28, 28]) });
    const y = out[sess.outputNames[0]].data as Float32Array;
    referenceCorrect = 0;
    for (let s = 0; s < EVALUATION; s++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (y[s * 10 + c] > y[s * 10 + best]) best = c;
      if (best === labels[s]) referenceCorrect++;
    }
  } finally {
    await sess.release();
  }
});

/** Checks the lines an example printed (or showed). */
function checkOutput(text: string, backend: RegExp): void {
  const said = `the example printed:\n${text}`;
  expect(text, said).toMatch(new RegExp(`^backend: ${backend.source}$`, 'm'));
  const dense = /^dense {2}top-1: (\d+)\/(\d+) digits \(([\d.]+)%\)$/m.exec(text);
  const pruned = /^pruned top-1: (\d+)\/(\d+) digits \(([\d.]+)%\)$/m.exec(text);
  expect(dense, said).not.toBeNull();
  expect(pruned, said).not.toBeNull();
  expect(Number(dense![2])).toBe(EVALUATION);
  expect(Number(pruned![2])).toBe(EVALUATION);
  expect(Number(dense![1]), `dense top-1 against onnxruntime-node's ${referenceCorrect}/${EVALUATION}`).toBe(referenceCorrect);
  expect(Number(pruned![1]) / EVALUATION, said).toBeGreaterThanOrEqual(0.9);
  const layers = [...text.matchAll(/^layer (\S+): (\d+)x(\d+), ([\d.]+)% zero, relative error (\S+)$/gm)];
  expect(layers.map((m) => m[1]), said).toEqual(LAYERS);
  for (const m of layers) {
    expect(Math.abs(Number(m[4]) - 50), `${m[1]} sparsity`).toBeLessThanOrEqual(0.5);
    const err = Number(m[5]);
    expect(err > 0 && err < 0.5, `${m[1]} relative error ${m[5]}`).toBe(true);
  }
  const overall = /^([\d.]+)% of the layers' weights are zero; pruning took [\d.]+ s$/m.exec(text);
  expect(overall, said).not.toBeNull();
  expect(Math.abs(Number(overall![1]) - 50)).toBeLessThanOrEqual(0.5);
}

describe('the three ways in (examples/)', () => {
  it('Node: the README command runs examples/prune-cnn-node.mjs', async () => {
    const [, ...args] = readmeCommand('node');
    expect(args).toEqual(['examples/prune-cnn-node.mjs']);
    const r = await run(process.execPath, args);
    expect(r.code, r.stderr).toBe(0);
    checkOutput(r.stdout, /wasm-\S+/);
  });

  describe('Deno', () => {
    const deno = join(root, 'node_modules/.bin/deno');
    // No update check and no prompts: a permission the command lacks is an error, not a question.
    const env = { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' };

    it('the README command, with its permissions, runs examples/prune-cnn-deno.ts', async () => {
      const [, ...args] = readmeCommand('deno');
      expect(args[0]).toBe('run');
      expect(args.at(-1)).toBe('examples/prune-cnn-deno.ts');
      const r = await run(deno, args, env);
      expect(r.code, r.stderr).toBe(0);
      checkOutput(r.stdout, /wasm-relaxed/);
    });

    it('fails without the permissions (so the first test proves they suffice, not that none are checked)', async () => {
      const [, ...args] = readmeCommand('deno');
      const bare = args.filter((a) => !a.startsWith('--allow-'));
      expect(bare.length).toBeLessThan(args.length);
      const r = await run(deno, bare, env);
      expect(r.code).not.toBe(0);
      expect(r.stderr.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/NotCapable: Requires read access/);
    });
  });

  const browser = findChromium();
  if (browser.skip) console.log(`examples: the page's test skipped (${browser.skip})`);
  it.skipIf(browser.skip !== undefined)('browser: examples/prune-cnn.html in headless Chromium, served from the repository root', { timeout: 240_000 }, async () => {
    if (browser.error) throw new Error(browser.error);
    const server = await serve(root);
    const profile = mkdtempSync(join(tmpdir(), 'iobs-examples-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: browser.path,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-gpu'],
    });
    const problems: string[] = [];
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (err) => problems.push(`pageerror: ${err.stack ?? err.message}`));
      page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`); });
      page.on('requestfailed', (req) => problems.push(`requestfailed: ${req.url()}: ${req.failure()?.errorText}`));
      // Only the local server: a request anywhere else means the page depends on the network.
      await context.route((url) => url.host !== `127.0.0.1:${(server.address() as AddressInfo).port}` && url.protocol !== 'data:' && url.protocol !== 'blob:', (route) => {
        problems.push(`request outside the local server: ${route.request().url()}`);
        return route.abort();
      });
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/examples/prune-cnn.html`);
      await page.waitForFunction(() => document.body.dataset.state !== 'running', null, { timeout: 200_000, polling: 200 });
      const state = await page.evaluate(() => document.body.dataset.state);
      const status = await page.locator('#status').innerText();
      const text = await page.locator('#out').innerText();
      expect(state, `${status}\n${problems.join('\n')}`).toBe('done');
      expect(problems).toEqual([]);
      checkOutput(text.trim(), /wasm-relaxed/);
      expect(await page.locator('#status a[download="mnist-cnn-pruned.onnx"]').count()).toBe(1);
    } finally {
      await context.close().catch(() => {});
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(profile, { recursive: true, force: true });
    }
  });
});

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};

/** A static file server of `dir` on 127.0.0.1 (any port), as `python3 -m http.server` would be. */
function serve(dir: string): Promise<Server> {
  const base = normalize(dir.endsWith(sep) ? dir : dir + sep);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(base, path));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    let body: Buffer;
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
