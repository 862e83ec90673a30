// Every kernel's cases, in one list for the Node, Deno and browser runners.
import type { Case } from './harness.js';
import { choleskyCases } from './cholesky.js';
import { downdateCases } from './downdate.js';
import { elementwiseCases } from './elementwise.js';
import { gemmCases } from './gemm.js';
import { lammaxCases } from './lammax.js';
import { pruningBasicCases } from './pruning-basic.js';
import { obsCases } from './obs.js';
import { syrkCases } from './syrk.js';
import { sparsegptCases } from './sparsegpt.js';
import { topkCases } from './topk.js';
import { recoveryCases } from './recovery.js';
import { trsmCases } from './trsm.js';
import { obcIobsCases } from './obc-iobs.js';

export function allCases(): Case[] {
  return [
    ...gemmCases(), ...syrkCases(), ...choleskyCases(), ...trsmCases(),
    ...lammaxCases(), ...topkCases(), ...downdateCases(), ...obsCases(),
    ...sparsegptCases(), ...obcIobsCases(), ...pruningBasicCases(),
    ...recoveryCases(), ...elementwiseCases(),
  ];
}

export { runCases, type Case, type CaseContext } from './harness.js';
