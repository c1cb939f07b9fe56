/**
 * Refusing a decision, the same way in every workflow: an ApplicationFailure with a FailureType
 * the API maps to a status, never retried, and a message that carries no text Temporal Core
 * could not encode.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { findTextProblems, safeMessage } from './text';

/** Why a decision was refused. One enum for the whole system; the API maps each to a status. */
export const FailureType = {
  InvalidInput: 'InvalidInput',
  WrongStage: 'WrongStage',
  AlreadyDecided: 'AlreadyDecided',
  CaseClosed: 'CaseClosed',
  WrongOrgUnit: 'WrongOrgUnit',
  WrongRole: 'WrongRole',
  NoticeNotOpen: 'NoticeNotOpen',
  MissingConfirmation: 'MissingConfirmation',
  MissingIndicators: 'MissingIndicators',
  NotRejectable: 'NotRejectable',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export function refuse(type: FailureType, message: string): never {
  throw ApplicationFailure.create({ type, message: safeMessage(message), nonRetryable: true });
}

/**
 * Wraps an update validator: a command carrying text that history or the projection cannot hold
 * (NUL, an unpaired surrogate, …) is refused before the validator reads any of it.
 */
export function validated<Cmd>(validate: (cmd: Cmd) => unknown): (cmd: Cmd) => void {
  return (cmd) => {
    if (findTextProblems(cmd, 1).length) refuse(FailureType.InvalidInput, 'the command carries text that cannot be stored');
    validate(cmd);
  };
}
