// Every kernel's cases, in one list for the Node, Deno and browser runners.
import type { Case } from './harness.js';
import { gemmCases } from './gemm.js';

export function allCases(): Case[] {
  return [...gemmCases()];
}

export { runCases, type Case, type CaseContext } from './harness.js';
