// The test orchestrator: builds dist/, then runs as-pect (AssemblyScript internals), vitest
// (Node), Deno and headless Chromium in that order, streaming each suite's output. Each suite
// ends its output with `<suite>: N passed, N failed`; those lines are repeated at the end,
// followed by `total: N passed, N failed`. Exit 1 when the build or any suite fails, a suite
// exits non-zero, prints no summary, or runs no test. A suite that cannot run here says so with
// `<suite>: skipped (why)` and exit code 77 (only the browser suite does, without a browser and
// outside CI); it is listed as skipped and counts neither way.
//   node scripts/test.mjs                 build, then every suite
//   node scripts/test.mjs deno chromium   only those suites, without building (--build to build)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));
const node = process.execPath;

const SUITES = {
  'as-pect': [node, ['scripts/aspect.mjs']],
  node: [node, [fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url)), 'run']],
  // No lock file, no remote or npm: imports, no config discovery, no prompts; read access only
  // (the loader fetches the .wasm through a file: URL). --sloppy-imports maps the cases'
  // './x.js' imports to their .ts files, as tsc and esbuild do.
  deno: [bin('deno'), ['run', '--no-lock', '--no-remote', '--no-npm', '--no-config', '--no-prompt', '--sloppy-imports', '--allow-read=.', '--allow-env=IOBS_REQUIRE_WEBGPU', 'test/deno/run.ts']],
  chromium: [node, ['test/browser/run.mjs']],
};

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--build' && !(a in SUITES));
if (unknown.length > 0) {
  console.error(`unknown suite ${unknown.join(', ')}; suites: ${Object.keys(SUITES).join(', ')} (and --build)`);
  process.exit(2);
}
const picked = args.filter((a) => a in SUITES);
const suites = picked.length > 0 ? picked : Object.keys(SUITES);
const build = picked.length === 0 || args.includes('--build');

const env = { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' };
// The webgpu cases need a Vulkan driver Dawn accepts: with no GPU that is the SwiftShader ICD
// Debian's chromium ships (Debian 12's lavapipe lacks a feature Dawn requires). Deno's own
// WebGPU finds Mesa's lavapipe by itself, and Chromium its bundled SwiftShader.
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const suiteEnv = {
  node: process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER) ? { VK_ICD_FILENAMES: SWIFTSHADER } : {},
};
/** Exit code of a suite that did not run here and said why (test/browser/run.mjs). */
const SKIPPED = 77;
const strip = (s) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/** Runs a command with output streamed through; resolves with its exit code and stdout. */
function run(cmd, cmdArgs, extraEnv = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      out += chunk;
    });
    child.on('error', (err) => {
      console.error(`cannot run ${cmd}: ${err.message}`);
      resolve({ code: 127, out });
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 0), out }));
  });
}

function banner(text) {
  console.log(`\n=== ${text} ${'='.repeat(Math.max(3, 70 - text.length))}`);
}

const summary = [];
let passed = 0, failed = 0, ok = true;

if (build) {
  banner('build');
  const { code } = await run(node, ['scripts/build.mjs']);
  if (code !== 0) {
    console.log(`\nbuild failed (exit code ${code})`);
    console.log('total: 0 passed, 1 failed');
    process.exit(1);
  }
}

for (const name of suites) {
  banner(name);
  const [cmd, cmdArgs] = SUITES[name];
  const { code, out } = await run(cmd, cmdArgs, suiteEnv[name]);
  const text = strip(out);
  const label = name.replace(/[-]/g, '\\-');
  const skip = text.match(new RegExp(`^${label}: skipped \\(.*\\)$`, 'm'));
  if (code === SKIPPED && skip) {
    summary.push(skip[0]);
    continue;
  }
  const re = new RegExp(`^${label}: (\\d+) passed, (\\d+) failed$`, 'gm');
  const hits = [...text.matchAll(re)];
  const hit = hits.at(-1);
  let p = 0, f = 0, note = '';
  if (hit) {
    p = Number(hit[1]);
    f = Number(hit[2]);
  } else {
    note = ' (no summary line)';
  }
  if (code !== 0 && f === 0) {
    f = 1;
    note += ` (exit code ${code})`;
  }
  if (p + f === 0) note += ' (no tests ran)';
  if (code !== 0 || f > 0 || p + f === 0) ok = false;
  summary.push(`${name}: ${p} passed, ${f} failed${note}`);
  passed += p;
  failed += f;
}

console.log('');
for (const line of summary) console.log(line);
console.log(`total: ${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
