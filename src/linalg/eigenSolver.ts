/**
 * Where spectra are computed: in this thread, or spread over worker threads when a caller has
 * many large ones (a sweep at n ≥ d solves hundreds of d × d eigenproblems).
 */
import { symmetricEigenvalues, symmetricEigenvaluesOfWritten } from './symmetricEigenvalues';

export interface EigenSolver {
  /** Eigenvalues (ascending) of the symmetric n × n row-major matrix. May take ownership of `matrix`. */
  eigenvalues(matrix: Float64Array, n: number): Promise<Float64Array>;
  /**
   * Eigenvalues (ascending) of the symmetric n × n matrix that `write` lays out row-major in the
   * array of n² values it is handed, of which only the lower triangle need be written (see
   * symmetricEigenvaluesOfWritten). In this thread the array is the kernel's own memory; a caller
   * that would build a matrix only to hand it over writes it there instead.
   */
  eigenvaluesOfWritten(n: number, write: (matrix: Float64Array) => void): Promise<Float64Array>;
  close(): Promise<void>;
}

export const inThreadEigenSolver: EigenSolver = {
  eigenvalues: async (matrix, n) => symmetricEigenvalues(matrix, n),
  eigenvaluesOfWritten: async (n, write) => symmetricEigenvaluesOfWritten(n, write),
  close: async () => {},
};

/** Matrices smaller than this are solved in-thread: a worker round trip would cost more. */
const PARALLEL_MIN_SIZE = 128;

/** A solver that sends large problems to a pool of `threads` workers, created on first use. */
export function createParallelEigenSolver(threads: number): EigenSolver {
  let pool: import('./eigenWorkerPool').EigenPool | undefined;
  const inThread = (n: number) => n < PARALLEL_MIN_SIZE || threads <= 1;
  const eigenvalues = async (matrix: Float64Array, n: number): Promise<Float64Array> => {
    if (inThread(n)) return symmetricEigenvalues(matrix, n);
    if (!pool) {
      const { createEigenPool } = await import('./eigenWorkerPool');
      pool = createEigenPool(threads);
    }
    return pool.eigenvalues(matrix, n);
  };
  return {
    eigenvalues,
    eigenvaluesOfWritten: async (n, write) => {
      if (inThread(n)) return symmetricEigenvaluesOfWritten(n, write);
      // A worker is sent a matrix of its own (moved, not copied).
      const matrix = new Float64Array(n * n);
      write(matrix);
      return eigenvalues(matrix, n);
    },
    close: async () => {
      await pool?.close();
      pool = undefined;
    },
  };
}
