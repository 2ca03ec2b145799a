/**
 * Where spectra are computed: in this thread, or spread over worker threads when a caller has
 * many large ones (a sweep at n ≥ d solves hundreds of d × d eigenproblems).
 */
import { symmetricEigenvalues } from './symmetricEigenvalues';

export interface EigenSolver {
  /** Eigenvalues (ascending) of the symmetric n × n row-major matrix. May take ownership of `matrix`. */
  eigenvalues(matrix: Float64Array, n: number): Promise<Float64Array>;
  close(): Promise<void>;
}

export const inThreadEigenSolver: EigenSolver = {
  eigenvalues: async (matrix, n) => symmetricEigenvalues(matrix, n),
  close: async () => {},
};

/** Matrices smaller than this are solved in-thread: a worker round trip would cost more. */
const PARALLEL_MIN_SIZE = 128;

/** A solver that sends large problems to a pool of `threads` workers, created on first use. */
export function createParallelEigenSolver(threads: number): EigenSolver {
  let pool: import('./eigenWorkerPool').EigenPool | undefined;
  return {
    eigenvalues: async (matrix, n) => {
      if (n < PARALLEL_MIN_SIZE || threads <= 1) return symmetricEigenvalues(matrix, n);
      if (!pool) {
        const { createEigenPool } = await import('./eigenWorkerPool');
        pool = createEigenPool(threads);
      }
      return pool.eigenvalues(matrix, n);
    },
    close: async () => {
      await pool?.close();
      pool = undefined;
    },
  };
}
