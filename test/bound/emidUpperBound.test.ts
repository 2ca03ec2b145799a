import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundFromTerms, emidUpperBound } from '../../src/bound/emidUpperBound';
import { rjsd } from '../../src/bound/rjsd';
import { syntheticSet } from '../support/synthetic';

test('scale-adjusted and full bounds from terms, by hand', () => {
  const terms = { jsdV: 0.25, jsdT: 0.09, jsdPy: 0.0625, jsdQy: 0.0016 };
  // √.25 + √.09 + .0625^¼ + .0016^¼ = 0.5 + 0.3 + 0.5 + 0.2
  const { value, full } = boundFromTerms(terms, 2);
  assert.ok(Math.abs(value - 1.5) < 1e-12);
  // 2 · (0.5 + 0.3) + 4 · (0.5 + 0.2) = 1.6 + 2.8
  assert.ok(Math.abs((full ?? NaN) - 4.4) < 1e-12);
  assert.equal(boundFromTerms(terms).full, undefined);
  assert.equal(boundFromTerms({ jsdV: -1e-17, jsdT: 0, jsdPy: -1e-18, jsdQy: 0 }).value, 0, 'tiny negatives clamp to 0');
  assert.throws(() => boundFromTerms(terms, -1), /entropy scale must be a finite number ≥ 0/);
});

test('the bound is built from the four RJSD terms between the right sets', async () => {
  const source = syntheticSet(20, 12, 1);
  const target = syntheticSet(15, 12, 2, { offset: 1 });
  const bound = await emidUpperBound(source, target, { entropyScale: 1 });
  const expect = {
    jsdV: await rjsd(source.image!, target.image!),
    jsdT: await rjsd(source.text, target.text),
    jsdPy: await rjsd(source.response, source.reference),
    jsdQy: await rjsd(target.response, target.reference),
  };
  for (const key of Object.keys(expect) as (keyof typeof expect)[]) assert.ok(Math.abs(bound.terms[key] - expect[key]) < 1e-12, key);
  assert.ok(Math.abs(bound.value - boundFromTerms(expect).value) < 1e-12);
  assert.ok(bound.full !== undefined && bound.full > bound.value);
});

test('text-only sets have no image term; mixing text-only with image sets is refused', async () => {
  const source = syntheticSet(10, 8, 3, { image: false });
  const target = syntheticSet(10, 8, 4, { image: false, offset: 1 });
  const bound = await emidUpperBound(source, target);
  assert.equal(bound.terms.jsdV, 0);
  assert.ok(bound.terms.jsdT > 0);
  await assert.rejects(emidUpperBound(source, syntheticSet(10, 8, 5)), /one set has image embeddings and the other does not/);
});
