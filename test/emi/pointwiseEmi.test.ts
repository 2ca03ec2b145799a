/**
 * Pointwise EMI: per-query terms of CLUB's two estimates from one pass, emi_i = mi_model_i −
 * mi_ref_i (model − reference), whose mean is the split's EMI as `emi()` computes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emi } from '../../src/emi/emi';
import { mostHurtQueries, pointwiseCsv, pointwiseEmi, pointwiseJsonl, toPointwiseJson } from '../../src/emi/pointwiseEmi';
import { joinPointwiseText, pointwiseEmiFrame } from '../../src/emi/pointwiseFrame';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { loadClub } from '../../src/estimators/club/clubFile';
import { gaussianEstimator } from '../../src/estimators/gaussian/gaussianEstimator';
import { readSplitFolder, writeSplitFolder } from '../../src/data/splitDirectory';
import type { SplitTable } from '../../src/data/splitRow';
import type { RgbImage } from '../../src/io/image';
import { syntheticSet } from '../support/synthetic';
import { fixturePath } from '../support/fixtures';

const club = new ClubEstimator(initClubParameters({ xDim: 16, yDim: 16, hiddenDim: 8 }, 2));
const set = syntheticSet(30, 16, 4, { name: 'split' });

// The mean of n float64 differences against the difference of two means: float64 rounding only.
const closeTo = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);

test('the mean of emi_i is the split EMI of emi(), with the paper sign (model − reference)', async () => {
  const result = await pointwiseEmi(set, club);
  const whole = await emi(set, club);
  assert.equal(result.rows.length, 30);
  // The very terms emi() averages: its values exactly, not to rounding.
  assert.equal(result.emi, whole.emi);
  assert.equal(result.miModel, whole.miModel);
  assert.equal(result.miReference, whole.miReference);
  for (const engine of ['portable', 'native'] as const) {
    const onEngine = new ClubEstimator(club.parameters, engine);
    assert.equal((await pointwiseEmi(set, onEngine)).emi, (await emi(set, onEngine)).emi, engine);
  }
  for (const row of result.rows) assert.equal(row.emi, row.mi_model - row.mi_ref);
  const mean = result.rows.reduce((sum, row) => sum + row.emi, 0) / result.rows.length;
  closeTo(mean, whole.emi, 'mean of the rows');
  // The sign: swapping the answer sets negates every term.
  const swapped = await pointwiseEmi({ ...set, response: set.reference, reference: set.response }, club);
  swapped.rows.forEach((row, i) => assert.equal(row.emi, -result.rows[i].emi));
  assert.deepEqual(result.estimator, club.description);
  // Only estimators that declare per-row terms are accepted, by type.
  // @ts-expect-error the Gaussian estimator is no PointwiseEstimator
  void (() => pointwiseEmi(set, gaussianEstimator()));
});

test("the authors' checkpoint: pointwise means equal emi() and the reference values on the official pair", async (t) => {
  const pair = fixturePath('official', 'pair-small');
  const checkpoint = fixturePath('official', 'CLUB_global.pt');
  if (!pair.path || !checkpoint.path) return t.skip(pair.skipReason ?? checkpoint.skipReason);
  const { readFileSync } = await import('node:fs');
  const expected = JSON.parse(readFileSync(join(pair.path, 'expected.json'), 'utf8'));
  const estimator = new ClubEstimator(loadClub(checkpoint.path));
  for (const [side, key] of [['source', 'emi_source'], ['target', 'emi_target']] as const) {
    const split = readSplitFolder(join(pair.path, side));
    const result = await pointwiseEmi(split, estimator);
    const whole = await emi(split, estimator);
    assert.equal(result.emi, whole.emi, `${side} emi`);
    // expected.json agrees with PyTorch to about 1e-5 (its README).
    assert.ok(Math.abs(result.emi - expected[key]) <= 1e-5, `${side}: ${result.emi} vs ${expected[key]}`);
  }
});

test('question ids come from the manifest, or are given; a count that does not fit is refused', async () => {
  const root = mkdtempSync(join(tmpdir(), 'emishift-pointwise-'));
  try {
    writeSplitFolder(join(root, 'split'), { ...set, shift: { family: 'none', label: 'no shift', modality: 'none', severity: null, unit: null } });
    const read = readSplitFolder(join(root, 'split'));
    const result = await pointwiseEmi(read, club);
    assert.deepEqual(result.rows.map((row) => row.question_id), Array.from({ length: 30 }, (_, i) => i));
    const json = toPointwiseJson(result) as { rows: unknown[]; provenance: { split: { manifest_digest: string | null; rows: number } } };
    assert.equal(json.provenance.split.rows, 30);
    assert.match(String(json.provenance.split.manifest_digest), /^sha256:/);
    const named = await pointwiseEmi(set, club, { questionIds: Array.from({ length: 30 }, (_, i) => `q${i}`) });
    assert.equal(named.rows[3].question_id, 'q3');
    await assert.rejects(pointwiseEmi(set, club, { questionIds: ['a', 'b'] }), /2 question ids for a split of 30 rows/);
    const plain = await pointwiseEmi(set, club);
    assert.equal(plain.rows[0].question_id, undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the most hurt queries sort first; CSV and JSONL hold every row', async () => {
  const result = await pointwiseEmi(set, club);
  const worst = mostHurtQueries(result, 5);
  assert.equal(worst.length, 5);
  const sorted = [...result.rows].map((row) => row.emi).sort((a, b) => a - b);
  assert.deepEqual(worst.map((row) => row.emi), sorted.slice(0, 5));
  const csv = pointwiseCsv(result).trim().split('\n');
  assert.equal(csv[0], 'row,question_id,emi,mi_model,mi_ref');
  assert.equal(csv.length, 31);
  assert.equal(Number(csv[4].split(',')[2]), result.rows[3].emi);
  const lines = pointwiseJsonl(result).trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(lines[7], result.rows[7]);
});

test('joined with the split table: by question id, or by row order without ids; as a DataFrame', async () => {
  const table: SplitTable = {
    name: 'split',
    source: 'test',
    rows: Array.from({ length: 30 }, (_, i) => ({ question_id: 29 - i, question: `question ${29 - i}`, reference_answer: `ref ${29 - i}`, model_answer: `model ${29 - i}` })),
  };
  const withIds = await pointwiseEmi(set, club, { questionIds: Array.from({ length: 30 }, (_, i) => i) });
  const joined = joinPointwiseText(withIds, table);
  assert.equal(joined[4].question, 'question 4');
  assert.equal(joined[4].model_answer, 'model 4');
  const withoutIds = await pointwiseEmi(set, club);
  const byOrder = joinPointwiseText(withoutIds, table);
  assert.equal(byOrder[0].question, 'question 29');
  assert.throws(() => joinPointwiseText(withIds, { ...table, rows: table.rows.map((row) => ({ ...row, question_id: `x${row.question_id}` })) }), /none of the split's 30 question ids/);
  assert.throws(() => joinPointwiseText(withoutIds, table.rows.slice(3)), /the table has 27 rows and the split 30/);
  const frame = pointwiseEmiFrame(withIds, table);
  assert.deepEqual(frame.columns, ['row', 'question_id', 'emi', 'mi_model', 'mi_ref', 'question', 'model_answer', 'reference_answer']);
  assert.deepEqual(frame.shape, [30, 8]);
  const lowest = frame.sortValues('emi', { ascending: true }).head(3);
  assert.deepEqual(lowest['row'].values, mostHurtQueries(withIds, 3).map((row) => row.row));
  // A table with decoded pixels (what answerShiftGrid gives) joins alike; its images are not read.
  const withPixels: SplitTable<RgbImage> = { ...table, rows: table.rows.map((row) => ({ ...row, image: { width: 1, height: 1, data: Uint8Array.of(0, 0, 0) } })) };
  assert.deepEqual(joinPointwiseText(withIds, withPixels), joined);
  assert.deepEqual(pointwiseEmiFrame(withIds, withPixels).values, frame.values);
});
