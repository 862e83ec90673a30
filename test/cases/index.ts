// Every case, in one list for the Node, Deno and browser runners.
import type { Case } from './harness.js';
import { choleskyCases } from './cholesky.js';
import { downdateCases } from './downdate.js';
import { gemmCases } from './gemm.js';
import { lammaxCases } from './lammax.js';
import { pruningBasicCases } from './pruning-basic.js';
import { obsCases } from './obs.js';
import { syrkCases } from './syrk.js';
import { sparsegptCases } from './sparsegpt.js';
import { strictCases } from './strict.js';
import { topkCases } from './topk.js';
import { recoveryCases } from './recovery.js';
import { trsmCases } from './trsm.js';
import { obcIobsCases } from './obc-iobs.js';
import { pruningApiCases } from './pruning-api.js';
import { elementwiseCases } from './elementwise.js';
import { readBudgetCases } from './read-budget.js';
import { nnCases } from './nn.js';
import { im2colCases } from './im2col.js';
import { exchangeCases } from './exchange.js';
import { preconditionerCases } from './preconditioner.js';

/** The cases of the kernels one by one (and of the strict backend itself). */
export function kernelCases(): Case[] {
  return [
    ...strictCases(), ...gemmCases(), ...syrkCases(), ...choleskyCases(), ...trsmCases(),
    ...lammaxCases(), ...topkCases(), ...downdateCases(), ...obsCases(), ...exchangeCases(), ...elementwiseCases(), ...nnCases(), ...im2colCases(),
  ];
}

/** The cases of the algorithms built on the kernels (pruning methods, sparse recovery). */
export function algorithmCases(): Case[] {
  return [...sparsegptCases(), ...obcIobsCases(), ...preconditionerCases(), ...pruningBasicCases(), ...pruningApiCases(), ...recoveryCases(), ...readBudgetCases()];
}

export function allCases(): Case[] {
  return [...kernelCases(), ...algorithmCases()];
}

export { casesFor, runCase, runCases, type Case, type CaseContext } from './harness.js';
export { StrictBackend } from './strict-backend.js';
