/**
 * The refusal a client hears when the storage fails under a write (a full disk or quota, a
 * read-only database, a lock held too long, an I/O error): a typed {@link OperationError}
 * with a result code that says whether trying again can help, instead of an internal error.
 * The failure beneath stays as its `cause`, for the operator's log.
 */
import { storageFailure, type StorageFailure } from '../store/failures.js';
import { OperationError, ResultCode } from './errors.js';

function refusal(failure: StorageFailure, cause: unknown): OperationError {
  switch (failure.kind) {
    case 'full':
      return new OperationError(ResultCode.unavailable, 'the database is full (disk or --max-db-size); reads still work', '', { cause });
    case 'readOnly':
      return new OperationError(ResultCode.unwillingToPerform, 'the database is read-only; reads still work', '', { cause });
    case 'busy':
      return new OperationError(ResultCode.busy, 'the database is busy; try again', '', { cause });
    case 'unwritable':
      return new OperationError(ResultCode.unavailable, `the database cannot be written (${failure.code})`, '', { cause });
  }
}

/** `error` as a client should hear it: a storage failure becomes its refusal; anything else stays as it is. */
export function storageRefusal(error: unknown): unknown {
  const failure = storageFailure(error);
  return failure ? refusal(failure, error) : error;
}
