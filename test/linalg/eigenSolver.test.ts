import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createParallelEigenSolver, inThreadEigenSolver } from '../../src/linalg/eigenSolver';
import { symmetricEigenvalues } from '../../src/linalg/symmetricEigenvalues';
import { randomSymmetric } from '../support/synthetic';

/** Writes only the lower triangle of `a`, as the mixture entropy does. */
const lowerOf = (a: Float64Array, n: number) => (target: Float64Array) => {
  for (let i = 0; i < n; i++) target.set(a.subarray(i * n, i * n + i + 1), i * n);
};

describe('EigenSolver.eigenvaluesOfWritten', () => {
  const parallel = createParallelEigenSolver(2);
  after(() => parallel.close());

  it('gives the spectrum of the written lower triangle, in this thread and on the pool (n ≥ 128)', async () => {
    for (const [n, seed] of [
      [20, 1],
      [130, 2],
      [200, 3],
    ] as const) {
      const a = randomSymmetric(n, seed);
      const expected = symmetricEigenvalues(a, n);
      assert.deepEqual(await inThreadEigenSolver.eigenvaluesOfWritten(n, lowerOf(a, n)), expected, `in-thread n=${n}`);
      assert.deepEqual(await parallel.eigenvaluesOfWritten(n, lowerOf(a, n)), expected, `parallel n=${n}`);
      // Several at once on the pool: each is solved from its own matrix.
      const b = randomSymmetric(n, seed + 10);
      const [first, second] = await Promise.all([parallel.eigenvaluesOfWritten(n, lowerOf(a, n)), parallel.eigenvaluesOfWritten(n, lowerOf(b, n))]);
      assert.deepEqual(first, expected);
      assert.deepEqual(second, symmetricEigenvalues(b, n));
    }
  });
});
