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

/** The float64 cases of the matrix kernels gemm, syrk, the Cholesky family, trsm and trsv, the objective (float64 H), and the examples that call them. */
const FLOAT64_MATRIX = /^(d(gemm|trsm|trsv|potrf|potri|invchol) |objective |dsyrk n=|dpotrf of a diagonal|Cholesky family: 2x2|strsm \/ strsv small examples|sgemm beta = 0)/;

/** Sizes of 129 and up in a case's name (…x130, n=131, k=200, 150 …). */
const LARGE = /(^| |=|x)(129|130|131|150|200|257|300|1030)( |x|$)/;
/** Sizes of 200 and up. */
const HUGE = /(^| |=|x)(200|1030)( |x|$)/;

/**
 * The device-neutral cases of the float64 matrix kernels, which the webgpu backend runs once
 * more with `float64MatrixKernels: 'gpu'` (a software adapter keeps them on the host by default,
 * and its emulated float64 runs at about a million multiply-adds a second). 'small': sizes up
 * to 65 (every blocked path is taken from 33 and 65 on; the 33 x 600 syrk takes two dispatches
 * along k); 'medium': sizes up to 150 as well. The 100000-row syrk is never taken.
 */
export function float64MatrixCases(cases: Case[], size: 'small' | 'medium'): Case[] {
  const skip = size === 'small' ? LARGE : HUGE;
  return cases.filter((c) => c.deviceNeutral === true && FLOAT64_MATRIX.test(c.name) && !skip.test(c.name));
}

export { casesFor, runCase, runCases, type Case, type CaseContext } from './harness.js';
export { StrictBackend } from './strict-backend.js';
