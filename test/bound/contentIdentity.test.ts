import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentIdentity } from '../../src/bound/contentIdentity';
import { createRng } from '../../src/random';

function randomMatrix(rows: number, cols: number, seed: number) {
  const rng = createRng(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return { rows, cols, data };
}

test('contentIdentity: equal content, equal identity; any other difference, another', () => {
  const a = randomMatrix(90, 768, 1);
  const copy = { rows: 90, cols: 768, data: a.data.slice() };
  assert.equal(contentIdentity(a), contentIdentity(copy));
  assert.notEqual(contentIdentity(a), contentIdentity(randomMatrix(90, 768, 2)));
  // One element changed, at a position the fingerprint does not sample (it samples every
  // ⌊69120 / 257⌋ = 268th word, and 1 is not a multiple of 268): only the byte comparison sees it.
  const nudged = { rows: 90, cols: 768, data: a.data.slice() };
  nudged.data[1] += 1e-3;
  assert.notEqual(contentIdentity(nudged), contentIdentity(a));
  // Same bytes, other shape or element type.
  assert.notEqual(contentIdentity({ rows: 768, cols: 90, data: a.data }), contentIdentity(a));
  const wide = { rows: 2, cols: 2, data: new Float64Array([1, 2, 3, 4]) };
  const narrow = { rows: 2, cols: 2, data: new Float32Array([1, 2, 3, 4]) };
  assert.notEqual(contentIdentity(wide), contentIdentity(narrow));
  // Values past rows × cols do not count.
  const longer = { rows: 90, cols: 768, data: new Float32Array(90 * 768 + 5) };
  longer.data.set(a.data);
  longer.data.fill(7, 90 * 768);
  assert.equal(contentIdentity(longer), contentIdentity(a));
});
