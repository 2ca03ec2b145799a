import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gaussianClubValue, gaussianMutualInformation, sampleGaussianPairs } from '../../src/samplers/gaussianPairs';
import { sampleShiftGrid } from '../../src/samplers/syntheticShiftGrid';
import { writeSplitFolder } from '../../src/data/splitDirectory';
import { emidUpperBound } from '../../src/bound/emidUpperBound';

test('Gaussian pairs: closed forms by hand and the sample correlation', () => {
  // ρ = 0.6: −½ ln 0.64 per dimension; CLUB: 0.36 / 0.64 per dimension.
  assert.ok(Math.abs(gaussianMutualInformation(2, 0.6) + Math.log(0.64)) < 1e-15);
  assert.ok(Math.abs(gaussianClubValue(2, 0.6) - 2 * 0.5625) < 1e-15);
  const { x, y } = sampleGaussianPairs(20000, 1, 0.6, 1);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.rows; i++) {
    sxy += x.data[i] * y.data[i];
    sxx += x.data[i] ** 2;
    syy += y.data[i] ** 2;
  }
  // Standard error of r at n = 20000 is about (1 − ρ²)/√n ≈ 0.0045.
  assert.ok(Math.abs(sxy / Math.sqrt(sxx * syy) - 0.6) < 0.02);
  assert.throws(() => sampleGaussianPairs(2, 1, 1), /correlation must be in/);
});

test('the shift grid is reproducible and its bound grows with severity', async () => {
  const a = sampleShiftGrid({ seed: 4, rows: 30, dim: 16 });
  const b = sampleShiftGrid({ seed: 4, rows: 30, dim: 16 });
  assert.deepEqual(a[5].response.data, b[5].response.data);
  const id = a.find((split) => split.imageSeverity === 0 && split.questionSeverity === 0)!;
  const imageOnly = a.filter((split) => split.questionSeverity === 0 && split.imageSeverity > 0).sort((p, q) => p.imageSeverity - q.imageSeverity);
  const bounds = await Promise.all(imageOnly.map((split) => emidUpperBound(id, split)));
  for (let k = 1; k < bounds.length; k++) assert.ok(bounds[k].terms.jsdV > bounds[k - 1].terms.jsdV, `jsd_v by severity ${bounds.map((x) => x.terms.jsdV)}`);
  // Splits of one image severity share the image matrix, as real benchmark splits do.
  assert.equal(a[0].image, a[1].image);
});

test('data/shift-grid (the main job\'s shipped data) is exactly what the generator writes', () => {
  const shipped = join(__dirname, '..', '..', '..', 'data', 'shift-grid');
  const regenerated = mkdtempSync(join(tmpdir(), 'emishift-grid-'));
  for (const split of sampleShiftGrid({ seed: 2025 })) writeSplitFolder(join(regenerated, split.name), split);
  const names = readdirSync(shipped).sort();
  assert.deepEqual(readdirSync(regenerated).sort(), names);
  for (const name of names) {
    for (const file of readdirSync(join(shipped, name))) {
      assert.ok(readFileSync(join(shipped, name, file)).equals(readFileSync(join(regenerated, name, file))), `${name}/${file}`);
    }
  }
});

test('Gaussian rows: seeded, moved along the first coordinate, zero outside their support', async () => {
  const { sampleGaussianRows } = await import('../../src/samplers/gaussianRows');
  const plain = sampleGaussianRows(4000, 4, { seed: 3 });
  assert.deepEqual(sampleGaussianRows(4000, 4, { seed: 3 }).data, plain.data, 'same seed, same rows');
  const column = (matrix: { rows: number; cols: number; data: Float32Array | Float64Array }, j: number) => Array.from({ length: matrix.rows }, (_, i) => matrix.data[i * matrix.cols + j]);
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  // Means within 4 standard errors (1/√4000 ≈ 0.016) of 0, and of the shift on the first coordinate only.
  for (let j = 0; j < 4; j++) assert.ok(Math.abs(mean(column(plain, j))) < 0.064, `column ${j}`);
  const moved = sampleGaussianRows(4000, 4, { seed: 3, shift: 2 });
  assert.ok(Math.abs(mean(column(moved, 0)) - 2) < 0.064);
  assert.deepEqual(column(moved, 1), column(plain, 1), 'the other coordinates are the same draws');
  const half = sampleGaussianRows(10, 4, { seed: 3, support: [2, 4] });
  assert.ok(column(half, 0).every((value) => value === 0) && column(half, 1).every((value) => value === 0));
  assert.ok(column(half, 3).every((value) => value !== 0));
  assert.throws(() => sampleGaussianRows(10, 4, { support: [3, 3] }), /support: expected \[from, to\) with 0 ≤ from < to ≤ 4, got \[3, 3\)/);
});

test('the Gaussian sampler draws what sampleGaussianPairs draws and carries its MI', async () => {
  const { gaussianPairSampler } = await import('../../src/samplers/gaussianPairs');
  const { createRng } = await import('../../src/random');
  const sampler = gaussianPairSampler(3, 0.5);
  assert.equal(sampler.mutualInformation(), gaussianMutualInformation(3, 0.5));
  assert.deepEqual([sampler.name, sampler.xDim, sampler.yDim], ['gaussian-3d-0.5', 3, 3]);
  const drawn = sampler.sample(50, createRng(8));
  assert.deepEqual(drawn, sampleGaussianPairs(50, 3, 0.5, 8));
  assert.equal(drawn.x.rows, 50);
  assert.notDeepEqual(sampler.sample(50, createRng(9)).x.data, drawn.x.data);
  assert.throws(() => gaussianPairSampler(0, 0.5), /dimension must be a positive integer/);
});
