// Every kernel's cases, in one list for the Node, Deno and browser runners.
import type { Case } from './harness.js';
import { choleskyCases } from './cholesky.js';
import { downdateCases } from './downdate.js';
import { gemmCases } from './gemm.js';
import { lammaxCases } from './lammax.js';
import { pruningBasicCases } from './pruning-basic.js';
import { syrkCases } from './syrk.js';
import { topkCases } from './topk.js';
import { trsmCases } from './trsm.js';

export function allCases(): Case[] {
  return [
    ...gemmCases(), ...syrkCases(), ...choleskyCases(), ...trsmCases(),
    ...lammaxCases(), ...topkCases(), ...downdateCases(),
    ...pruningBasicCases(),
  ];
}

export { runCases, type Case, type CaseContext } from './harness.js';
