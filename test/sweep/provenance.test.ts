import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { sweepSplits } from '../../src/sweep/sweep';
import { toResultsJson } from '../../src/sweep/resultsJson';
import { describeEstimator } from '../../src/sweep/provenance';
import { describeShift } from '../../src/data/shiftFamilies';
import { SpaceMismatchError } from '../../src/errors';
import type { EmbeddingSet, EmbeddingSpace } from '../../src/interface';
import { syntheticSet } from '../support/synthetic';

const SPACE: EmbeddingSpace = { embedder: 'test', text: { model: 'm-text', pooling: 'p' }, image: { model: 'm-image', pooling: 'q' }, dimension: 12, normalization: 'l2' };
const OTHER: EmbeddingSpace = { ...SPACE, embedder: 'other', text: { model: 'other-text', pooling: 'p' } };
const inSpace = (set: EmbeddingSet, space: EmbeddingSpace | undefined, shift?: ReturnType<typeof describeShift>): EmbeddingSet => ({
  ...set,
  ...(space ? { space } : {}),
  ...(shift ? { shift } : {}),
  origin: { directory: `/splits/${set.name}`, manifestDigest: space ? `sha256:${set.name}` : null },
});
const lazy = (set: EmbeddingSet) => ({ name: set.name!, location: set.origin?.directory, load: () => set });
const id = inSpace(syntheticSet(16, 12, 1, { name: 'id' }), SPACE, describeShift([]));
const oods = [1, 2, 3].map((k) => inSpace(syntheticSet(16, 12, 1 + k, { name: `ood${k}`, offset: 0.3 * k }), SPACE, describeShift([{ family: 'frost', severity: k }])));
const withSpace = new ClubEstimator(initClubParameters({ xDim: 12, yDim: 12, hiddenDim: 6 }, 3), 'auto', { space: SPACE, training: { preset: 'small', settings: { epochs: 1 } } });
const withoutSpace = new ClubEstimator(initClubParameters({ xDim: 12, yDim: 12, hiddenDim: 6 }, 3));

test('a sweep records its provenance: version, invocation, estimator, every split, settings', async () => {
  const warnings: string[] = [];
  const result = await sweepSplits(lazy(id), oods.map(lazy), withSpace, { warn: (line) => warnings.push(line), invocation: { command: 'emishift sweep --root R' } });
  const { provenance } = result;
  const version = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')).version;
  assert.equal(provenance.emishift_version, version);
  assert.equal(provenance.node_version, process.version);
  assert.deepEqual(provenance.invocation, { command: 'emishift sweep --root R' });
  assert.equal(provenance.estimator.name, 'club');
  assert.deepEqual(provenance.estimator.space, SPACE);
  assert.deepEqual(Object.keys(provenance.splits), ['id', 'ood1', 'ood2', 'ood3']);
  assert.deepEqual(provenance.splits.ood2.space, SPACE);
  assert.equal(provenance.splits.ood2.manifest_digest, 'sha256:ood2');
  assert.equal(provenance.splits.ood2.rows, 16);
  assert.equal(provenance.mixture, 'sample-weighted');
  assert.equal(provenance.entropy_scale, null);
  assert.equal(provenance.bootstrap, null);
  assert.deepEqual(provenance.space_check, { allow_mismatch: false, unchecked: [], mismatches: [] });
  assert.deepEqual(warnings, []);
  const json = toResultsJson(result);
  assert.deepEqual(json.provenance, provenance);
  assert.equal(json.SHIFT?.ood3.label, 'frost');
  assert.equal(json.SHIFT?.id.family, 'none');
  assert.match(describeEstimator(provenance.estimator), /^estimator: club trained with preset 'small' on \? pairs \(epochs 1\) in space test \(m-text \+ m-image, 12-d, l2\)$/);
});

test("a split from another space than the estimator's is refused, naming both spaces", async () => {
  const stray = inSpace(syntheticSet(16, 12, 9, { name: 'stray' }), OTHER);
  await assert.rejects(
    sweepSplits(lazy(id), [...oods, stray].map(lazy), withSpace, { warn: () => {} }),
    (error: unknown) =>
      error instanceof SpaceMismatchError &&
      error.message ===
        "/splits/stray: split 'stray' is in space other (other-text + m-image, 12-d, l2) but the estimator (club) was fitted in test (m-text + m-image, 12-d, l2): text encoder other-text against m-text",
  );
});

test('allowSpaceMismatch runs the sweep and records what it allowed', async () => {
  const stray = inSpace(syntheticSet(16, 12, 9, { name: 'stray' }), OTHER);
  const warnings: string[] = [];
  const result = await sweepSplits(lazy(id), [...oods, stray].map(lazy), withSpace, { allowSpaceMismatch: true, warn: (line) => warnings.push(line) });
  assert.equal(result.comparisons.length, 4);
  assert.equal(result.provenance.space_check.allow_mismatch, true);
  assert.deepEqual(
    result.provenance.space_check.mismatches.map((m) => [m.split, m.against]),
    [
      ['stray', 'estimator'],
      ['stray', 'id'],
    ],
  );
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /ran 1 split in another embedding space .* because mismatches were allowed \(stray\); the results record it/);
  assert.deepEqual(result.provenance.warnings, warnings);
});

test('OOD splits must share the ID split\'s space even when the estimator records none', async () => {
  const stray = inSpace(syntheticSet(16, 12, 9, { name: 'stray' }), OTHER);
  await assert.rejects(sweepSplits(lazy(id), [stray].map(lazy), withoutSpace, { warn: () => {} }), (error: unknown) =>
    error instanceof SpaceMismatchError && /split 'stray' is in space other .* but the ID split 'id' is in test/.test(error.message),
  );
});

test('unknown spaces are one warning line each, never an error', async () => {
  const plain = [id, ...oods].map((set) => inSpace({ ...set, space: undefined }, undefined));
  const warnings: string[] = [];
  const result = await sweepSplits(lazy(plain[0]), plain.slice(1).map(lazy), withoutSpace, { warn: (line) => warnings.push(line) });
  assert.deepEqual(warnings, [
    'the estimator (club) records no embedding space: the splits cannot be checked against it',
    '4 splits have no manifest naming their embedding space (id, ood1, ood2, ood3): they cannot be checked against the estimator',
  ]);
  assert.deepEqual(result.provenance.space_check.unchecked, ['id', 'ood1', 'ood2', 'ood3']);
  assert.equal(result.provenance.splits.ood1.space, null);
});
