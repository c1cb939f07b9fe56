// The workflow bundle's entry point: every workflow type the worker registers.
export { procedureWorkflow } from './procedure/workflow';
export { assessmentWorkflow } from './assessment/workflow';
export { rectificationWorkflow } from './assessment/rectification';
export { dutyWorkflow } from './duty/workflow';
export { purgeIdempotencyKeysWorkflow } from './maintenance/workflow';
export { householdExitBatchWorkflow } from './batch/workflow';
