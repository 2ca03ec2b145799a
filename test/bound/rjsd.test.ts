import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rjsd } from '../../src/bound/rjsd';
import { vonNeumannEntropyFromEigenvalues } from '../../src/bound/vonNeumannEntropy';
import { unitRows } from '../support/synthetic';
import type { Matrix } from '../../src/interface';

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected} (tolerance ${tolerance})`);

test('von Neumann entropy: uniform spectrum gives log k, a pure state 0, scale does not matter', () => {
  close(vonNeumannEntropyFromEigenvalues([2, 2, 2, 2]), Math.log(4), 1e-15, 'uniform');
  close(vonNeumannEntropyFromEigenvalues([5, 0, -1e-17]), 0, 0, 'pure state, tiny negative ignored');
  close(vonNeumannEntropyFromEigenvalues([1, 3]), vonNeumannEntropyFromEigenvalues([10, 30]), 1e-15, 'scale');
  // p = (1/4, 3/4): −(¼ ln ¼ + ¾ ln ¾)
  close(vonNeumannEntropyFromEigenvalues([1, 3]), -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), 1e-15, 'two levels');
});

test('RJSD of a set with itself is 0, and it is symmetric', async () => {
  const a = unitRows(20, 30, 1);
  const b = unitRows(25, 30, 2, 1.5);
  close(await rjsd(a, a), 0, 1e-10, 'self (sample-weighted)');
  close(await rjsd(a, a, { mixture: 'equal' }), 0, 1e-10, 'self (equal)');
  for (const mixture of ['sample-weighted', 'equal'] as const) {
    close(await rjsd(a, b, { mixture }), await rjsd(b, a, { mixture }), 1e-10, `symmetry (${mixture})`);
  }
});

test('RJSD lies in [0, ln 2], reaching ln 2 for sets in orthogonal subspaces', async () => {
  for (let seed = 0; seed < 5; seed++) {
    const value = await rjsd(unitRows(15, 10, seed), unitRows(15, 10, seed + 100, 2 * seed), { mixture: 'equal' });
    assert.ok(value >= -1e-12 && value <= Math.log(2) + 1e-12, `seed ${seed}: ${value}`);
  }
  // Rows of A live in the first 3 coordinates, rows of B in the next 3.
  const embed = (source: Matrix, shift: number): Matrix => {
    const data = new Float32Array(source.rows * 8);
    for (let i = 0; i < source.rows; i++) for (let j = 0; j < 3; j++) data[i * 8 + shift + j] = source.data[i * 3 + j];
    return { rows: source.rows, cols: 8, data };
  };
  const a = embed(unitRows(6, 3, 7), 0);
  const b = embed(unitRows(6, 3, 8), 3);
  close(await rjsd(a, b, { mixture: 'equal' }), Math.log(2), 1e-10, 'orthogonal supports');
  // Hand example: A = {e1}, B = {e2}: both pure, the mixture is uniform on 2 levels.
  const e1 = { rows: 1, cols: 2, data: Float32Array.from([1, 0]) };
  const e2 = { rows: 1, cols: 2, data: Float32Array.from([0, 1]) };
  close(await rjsd(e1, e2), Math.log(2), 1e-12, 'e1 vs e2');
});

test('the Gram side and the covariance side give the same value', async () => {
  for (const [na, nb, d] of [
    [12, 9, 40],
    [30, 25, 20],
    [8, 50, 24],
  ]) {
    const a = unitRows(na, d, na);
    const b = unitRows(nb, d, nb + 1, 0.8);
    for (const mixture of ['sample-weighted', 'equal'] as const) {
      const gram = await rjsd(a, b, { mixture, side: 'gram' });
      const covariance = await rjsd(a, b, { mixture, side: 'covariance' });
      const auto = await rjsd(a, b, { mixture });
      close(gram, covariance, 1e-10, `${na}, ${nb}, ${d} ${mixture}`);
      close(auto, covariance, 1e-10, `${na}, ${nb}, ${d} ${mixture} auto`);
    }
  }
});

test('the two mixtures agree when the sets have equal size and unit rows, and differ otherwise', async () => {
  const a = unitRows(10, 16, 1);
  const b = unitRows(10, 16, 2, 1);
  // Float32 rows are unit-norm only to ~1e-7, so the traces (and the mixtures) agree to that order.
  close(await rjsd(a, b), await rjsd(a, b, { mixture: 'equal' }), 1e-6, 'equal sizes');
  const c = unitRows(30, 16, 3, 1);
  const sampleWeighted = await rjsd(a, c);
  const equal = await rjsd(a, c, { mixture: 'equal' });
  assert.ok(Math.abs(sampleWeighted - equal) > 1e-4, `${sampleWeighted} vs ${equal}`);
});

test('RJSD refuses sets of different dimensions', async () => {
  await assert.rejects(rjsd(unitRows(4, 5, 1), unitRows(4, 6, 2)), /dimension mismatch: 5 vs 6/);
});

test('rjsdPropertyChecks: every property holds, and a check that cannot hold fails', async () => {
  const { rjsdPropertyChecks } = await import('../../src/bound/rjsdChecks');
  const checks = await rjsdPropertyChecks();
  assert.equal(checks.length, 9, 'three per mixture, then three for the equal mixture');
  assert.deepEqual(checks.filter((check) => !check.pass), []);
  const orthogonal = checks.find((check) => check.check.startsWith('RJSD(u, w)'))!;
  assert.ok(Math.abs(orthogonal.value - Math.log(2)) < 1e-9);
  assert.ok(checks.find((check) => check.check === 'RJSD(a, b), sample-weighted')!.value > 0);
  // The values are RJSD of the documented samples.
  const { sampleGaussianRows } = await import('../../src/samplers/gaussianRows');
  const a = sampleGaussianRows(300, 16, { seed: 11 });
  const b = sampleGaussianRows(300, 16, { seed: 12, shift: 1.5 });
  assert.equal(checks.find((check) => check.check === 'RJSD(a, b), equal')!.value, await rjsd(a, b, { mixture: 'equal' }));
  // Smaller samples, other sizes: the same checks, still passing.
  const small = await rjsdPropertyChecks({ rows: 40, dim: 8 });
  assert.equal(small.length, 9);
  assert.deepEqual(small.filter((check) => !check.pass), []);
  assert.ok(small.some((check) => check.check === 'RJSD(a, 13 rows), equal mixture, unequal sizes'));
});
