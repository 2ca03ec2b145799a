import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClubEstimator } from '../../../src/estimators/club/clubEstimator';
import { AUTHORS_CHECKPOINT_SHA256, loadClubFile } from '../../../src/estimators/club/clubFile';
import { CLUB_PRESETS, clubPresetSettings } from '../../../src/estimators/club/clubPresets';
import { TRAIN_DEFAULTS } from '../../../src/estimators/club/trainClub';
import { PAPER_SPACE } from '../../../src/data/embeddingSpace';
import { isInputError } from '../../../src/errors';
import type { EmbeddingSet, EmbeddingSpace } from '../../../src/interface';
import { syntheticSet } from '../../support/synthetic';
import { fixturePath } from '../../support/fixtures';

const SPACE: EmbeddingSpace = { embedder: 'test', text: { model: 'm-text', pooling: 'p' }, image: { model: 'm-image', pooling: 'q' }, dimension: 12, normalization: 'l2' };
const sets: EmbeddingSet[] = [1, 2, 3].map((k) => ({ ...syntheticSet(20, 12, k, { name: `split${k}`, offset: 0.2 * k }), space: SPACE }));
const QUICK = { epochs: 5 };

test('presets: small and paper, overrides, and an unknown name refused', () => {
  assert.deepEqual(TRAIN_DEFAULTS, CLUB_PRESETS.paper);
  assert.equal(CLUB_PRESETS.paper.hiddenDim, 250);
  assert.deepEqual(clubPresetSettings('small', { epochs: 7, seed: undefined }), { ...CLUB_PRESETS.small, epochs: 7 });
  assert.throws(() => clubPresetSettings('huge'), (error: unknown) => isInputError(error) && /unknown CLUB preset 'huge' \(presets: paper, small\)/.test(error.message));
});

test('fit pools the sets in name order, so the order they are given in does not matter', async () => {
  const forward = await ClubEstimator.fit(sets, 'small', { overrides: QUICK });
  const backward = await ClubEstimator.fit([...sets].reverse(), 'small', { overrides: QUICK });
  assert.deepEqual(backward.parameters.muW1, forward.parameters.muW1);
  assert.deepEqual(backward.parameters.logvarB2, forward.parameters.logvarB2);
  assert.equal(forward.parameters.hiddenDim, CLUB_PRESETS.small.hiddenDim);
  const description = forward.description;
  assert.equal(description.name, 'club');
  assert.deepEqual(description.space, SPACE);
  assert.equal(description.training?.preset, 'small');
  assert.equal(description.training?.pairs, 60);
  assert.deepEqual(description.training?.settings, { ...CLUB_PRESETS.small, ...QUICK });
});

test('a saved CLUB file records its space and training; load reads them back with the file hash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-clubfit-'));
  const fitted = await ClubEstimator.fit(sets, 'small', { overrides: QUICK });
  const file = join(dir, 'club.safetensors');
  fitted.save(file);
  const loaded = ClubEstimator.load(file);
  assert.deepEqual(loaded.parameters.muW2, fitted.parameters.muW2);
  assert.deepEqual(loaded.origin.space, SPACE);
  assert.equal(loaded.origin.training?.preset, 'small');
  assert.equal(loaded.origin.training?.digest, fitted.origin.training?.digest);
  assert.equal(loaded.description.file?.sha256, createHash('sha256').update(readFileSync(file)).digest('hex'));
  assert.equal(loaded.description.file?.recognizedAs, undefined);
});

test('cacheFile: the same pairs and settings load the saved weights; other settings retrain', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-clubcache-'));
  const cacheFile = join(dir, 'club.safetensors');
  const first = await ClubEstimator.fit(sets, 'small', { overrides: QUICK, cacheFile });
  assert.equal(first.origin.training?.reused, false);
  const second = await ClubEstimator.fit([...sets].reverse(), 'small', { overrides: QUICK, cacheFile });
  assert.equal(second.origin.training?.reused, true);
  assert.deepEqual(second.parameters.muW1, first.parameters.muW1);
  const third = await ClubEstimator.fit(sets, 'small', { overrides: { epochs: 6 }, cacheFile });
  assert.equal(third.origin.training?.reused, false);
  assert.equal(loadClubFile(cacheFile).metadata.training_digest, third.origin.training?.digest);
});

test('fit refuses sets from different embedding spaces, and records no space when one is unknown', async () => {
  const other = { ...sets[1], space: { ...SPACE, text: { model: 'another-text-model', pooling: 'p' } } };
  await assert.rejects(
    ClubEstimator.fit([sets[0], other], 'small', { overrides: QUICK }),
    (error: unknown) => isInputError(error) && /split2: is in space test \(another-text-model \+ m-image, 12-d, l2\) but 'split1' is in test \(m-text/.test(error.message),
  );
  const unknown = { ...sets[1], space: undefined };
  const fitted = await ClubEstimator.fit([sets[0], unknown], 'small', { overrides: QUICK });
  assert.equal(fitted.description.space, undefined);
});

test("the authors' checkpoint is recognised by its SHA-256 as the paper's space", (t) => {
  const checkpoint = fixturePath('official', 'CLUB_global.pt');
  if (!checkpoint.path) return t.skip(checkpoint.skipReason);
  const estimator = ClubEstimator.load(checkpoint.path);
  assert.equal(estimator.description.file?.sha256, AUTHORS_CHECKPOINT_SHA256);
  assert.match(estimator.description.file?.recognizedAs ?? '', /authors' CLUB_global\.pt/);
  assert.deepEqual(estimator.description.space, PAPER_SPACE);
});

test('the contract fit trains a fresh network with the settings this one was trained with', async () => {
  const first = await ClubEstimator.fit(sets, 'small', { overrides: QUICK });
  const pairs = { x: sets[0].text, y: sets[0].reference, space: SPACE };
  const refitted = await first.fit(pairs);
  const direct = await ClubEstimator.fit(pairs, 'small', { overrides: QUICK });
  assert.notEqual(refitted, first);
  assert.deepEqual(refitted.parameters.muW1, direct.parameters.muW1);
  assert.deepEqual(refitted.description.training?.settings, { ...CLUB_PRESETS.small, ...QUICK });
  assert.equal(refitted.description.training?.pairs, 20);
  assert.deepEqual(refitted.description.space, SPACE);
  // Weights without a recorded training: the paper's preset at this network's hidden size.
  const bare = new ClubEstimator(first.parameters);
  const epochs: number[] = [];
  const fromBare = await bare.fit({ x: pairs.x, y: pairs.y }, { onProgress: (progress) => epochs.push(progress.done) }).catch((error: unknown) => error);
  assert.ok(fromBare instanceof ClubEstimator, String(fromBare));
  assert.equal(fromBare.parameters.hiddenDim, first.parameters.hiddenDim);
  assert.equal(fromBare.description.training?.preset, 'paper');
  assert.equal(epochs.length, CLUB_PRESETS.paper.epochs);
});
