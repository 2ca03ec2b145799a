/**
 * The checks every sample-based estimator makes on its input before any work: rows paired,
 * enough of them, every value finite. Errors name the side (`x` or `y`) so a caller that read
 * the matrices from files can name the file instead.
 */
import { InputError } from '../errors';
import type { Matrix } from '../interface';
import { assertFiniteMatrix } from '../linalg/matrix';

/** Throws an InputError unless x and y have the same number (≥ `minimumRows`) of rows and only finite values. */
export function assertPairedSample(x: Matrix, y: Matrix, estimator: string, minimumRows = 2): void {
  if (x.rows !== y.rows) throw new InputError(`x has ${x.rows} rows and y has ${y.rows}: rows are paired, so the counts must match`, { field: 'y' });
  if (x.rows < minimumRows) throw new InputError(`${estimator} needs at least ${minimumRows} paired rows, got ${x.rows}`, { field: 'x' });
  if (x.cols < 1 || y.cols < 1) throw new InputError(`${estimator} needs at least one column on each side, got ${x.cols} and ${y.cols}`, { field: x.cols < 1 ? 'x' : 'y' });
  assertFiniteMatrix(x, { field: 'x' });
  assertFiniteMatrix(y, { field: 'y' });
}
