/**
 * Typed errors. An InputError is the user's data or arguments being wrong (the CLI exits 2 with
 * its one-line message); anything else is a bug or an environment failure.
 */
export interface InputErrorLocation {
  /** The file the problem is in, when there is one. */
  file?: string;
  /** The field, key, argument or row the problem is at. */
  field?: string;
}

/** The user's data or arguments are wrong; the message names the file or field and what was expected (the CLI exits 2). */
export class InputError extends Error {
  readonly file?: string;
  readonly field?: string;

  constructor(message: string, location: InputErrorLocation = {}) {
    const where = [location.file, location.field].filter((part) => part !== undefined && part !== '').join(': ');
    super(where ? `${where}: ${message}` : message);
    this.name = 'InputError';
    this.file = location.file;
    this.field = location.field;
  }
}

/** Whether `error` is an InputError (bad input), as opposed to a failure of the environment or a bug. */
export function isInputError(error: unknown): error is InputError {
  return error instanceof InputError;
}

/**
 * An estimator applied to embeddings from another space than it was fitted in (or two splits of
 * one comparison from different spaces). Refused unless the caller explicitly allows it.
 */
export class SpaceMismatchError extends InputError {
  constructor(message: string, location: InputErrorLocation = {}) {
    super(message, location);
    this.name = 'SpaceMismatchError';
  }
}
