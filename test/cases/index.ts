// Every kernel's cases, in one list for the Node, Deno and browser runners.
import type { Case } from './harness.js';
import { choleskyCases } from './cholesky.js';
import { gemmCases } from './gemm.js';
import { trsmCases } from './trsm.js';

export function allCases(): Case[] {
  return [...gemmCases(), ...choleskyCases(), ...trsmCases()];
}

export { runCases, type Case, type CaseContext } from './harness.js';
