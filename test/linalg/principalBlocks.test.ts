import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { InputError } from '../../src/errors';
import { createPrincipalBlockPool } from '../../src/linalg/principalBlockPool';
import { inThreadPrincipalBlockSolver, PrincipalBlockBase, principalBlockSpectra } from '../../src/linalg/principalBlocks';
import { symmetricEigenvalues } from '../../src/linalg/symmetricEigenvalues';
import { createRng } from '../../src/random';

/** A Gram matrix of `n` random rows in `d` dimensions (positive semi-definite, like the pooled ones). */
function gramOf(n: number, d: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const rows = Float64Array.from({ length: n * d }, () => rng.normal());
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < d; k++) sum += rows[i * d + k] * rows[j * d + k];
      gram[i * n + j] = sum;
    }
  }
  return gram;
}

/** The sub-block at `rows`, built by hand in full (both triangles), as the one-at-a-time path did. */
function handBlock(base: Float64Array, n: number, rows: number[]): Float64Array {
  const m = rows.length;
  const block = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) block[a * m + b] = base[rows[a] * n + rows[b]];
  return block;
}

const n = 40;
const base = gramOf(n, 60, 3);
const blockRows = [
  [0, 3, 5, 9, 11, 20, 21, 30],
  [1, 2, 4, 6, 7, 8, 10, 12, 13, 14, 15, 16, 17],
  [39, 0, 17, 5],
  [],
  [22],
];
const batch = { indices: Int32Array.from(blockRows.flat()), sizes: Int32Array.from(blockRows, (rows) => rows.length) };

describe('principal block spectra', () => {
  const pool = createPrincipalBlockPool(2);
  after(() => pool.close());

  it('are, bit for bit, the spectra of the same blocks built by hand and solved one at a time', async () => {
    const expected = blockRows.flatMap((rows) => Array.from(symmetricEigenvalues(handBlock(base, n, rows), rows.length)));
    assert.deepEqual(Array.from(principalBlockSpectra(base, n, batch)), expected);
    const handle = new PrincipalBlockBase(base, n);
    assert.deepEqual(Array.from(await inThreadPrincipalBlockSolver.spectra(handle, batch)), expected);
    // Several batches on the same base, spread over both workers (the base sent once to each).
    const fromPool = await Promise.all(Array.from({ length: 6 }, () => pool.spectra(handle, batch)));
    for (const values of fromPool) assert.deepEqual(Array.from(values), expected);
    pool.release(handle);
    // A released base is sent again with the next batch.
    assert.deepEqual(Array.from(await pool.spectra(handle, batch)), expected);
  });

  it('with factors √m, a row standing for m repeats has the nonzero spectrum of the block with the repeats', () => {
    // Rows 4 and 7 repeated (three and two copies in all): the block of 7 rows vs the block of 4 distinct rows with factors.
    const repeated = [4, 4, 4, 7, 7, 12, 30];
    const full = symmetricEigenvalues(handBlock(base, n, repeated), repeated.length);
    const merged = principalBlockSpectra(base, n, { indices: Int32Array.from([4, 7, 12, 30]), sizes: Int32Array.from([4]), factors: Float64Array.from([Math.sqrt(3), Math.SQRT2, 1, 1]) });
    const scale = full[full.length - 1];
    // The repeats add 3 zero eigenvalues (rounding-sized in the full block); the other 4 agree to rounding of the largest.
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(full[k]) < 1e-12 * scale, `zero eigenvalue ${k}: ${full[k]}`);
    for (let k = 0; k < 4; k++) assert.ok(Math.abs(full[3 + k] - merged[k]) < 1e-12 * scale, `eigenvalue ${k}: ${full[3 + k]} vs ${merged[k]}`);
  });

  it('factors of 1 leave the entries as they are (the same numbers as no factors)', () => {
    const ones = { ...batch, factors: new Float64Array(batch.indices.length).fill(1) };
    assert.deepEqual(principalBlockSpectra(base, n, ones), principalBlockSpectra(base, n, batch));
  });

  it('refuses indices outside the base, sizes that do not add up and a wrong number of factors, in this thread and on the pool', async () => {
    const handle = new PrincipalBlockBase(base, n);
    const bad = [
      { indices: Int32Array.from([0, 40]), sizes: Int32Array.from([2]) },
      { indices: Int32Array.from([0, 1]), sizes: Int32Array.from([3]) },
      { indices: Int32Array.from([0, 1]), sizes: Int32Array.from([2]), factors: Float64Array.from([1]) },
    ];
    for (const blocks of bad) {
      assert.throws(() => principalBlockSpectra(base, n, blocks), InputError);
      await assert.rejects(pool.spectra(handle, blocks), InputError);
    }
    assert.throws(() => new PrincipalBlockBase(new Float64Array(10), 3), InputError);
  });

  it('a non-finite entry in a block is reported from the worker as the InputError it is', async () => {
    const broken = base.slice();
    broken[5 * n + 3] = Number.NaN;
    await assert.rejects(pool.spectra(new PrincipalBlockBase(broken, n), { indices: Int32Array.from([3, 5]), sizes: Int32Array.from([2]) }), InputError);
  });

  it('rejects batches once closed', async () => {
    const closing = createPrincipalBlockPool(1);
    const handle = new PrincipalBlockBase(base, n);
    assert.equal((await closing.spectra(handle, batch)).length, batch.indices.length);
    await closing.close();
    await assert.rejects(closing.spectra(handle, batch), /closed/);
  });
});
