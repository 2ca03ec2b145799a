/** Sweep selections: OOD splits by the modality of their shift, and seeded subsets of N rows per split. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { describeShift } from '../../src/data/shiftFamilies';
import { readSplitFolder, writeSplitFolder } from '../../src/data/splitDirectory';
import { InputError } from '../../src/errors';
import { sweepSplits } from '../../src/sweep/sweep';
import { sweepSplitFolders } from '../../src/sweep/sweepFolder';
import { readResults } from '../../src/sweep/resultsJson';
import { ROW_SUBSET_METHOD, seededRows, selectSplitsByShiftModality, subsetEmbeddingSet } from '../../src/sweep/selection';
import type { EmbeddingSet } from '../../src/interface';
import { syntheticSet } from '../support/synthetic';

const estimator = new ClubEstimator(initClubParameters({ xDim: 16, yDim: 16, hiddenDim: 8 }, 1));

const SHIFTS = {
  blur: describeShift([{ family: 'defocus_blur', severity: 3, modality: 'image' }]),
  typo: describeShift([{ family: 'KeyboardAug', severity: 1, modality: 'text' }]),
  both: describeShift([
    { family: 'frost', severity: 1, modality: 'image' },
    { family: 'sr', severity: 4, modality: 'text' },
  ]),
};

/**
 * An ID split and five OOD splits: three whose manifests record an image, a text and a joint
 * shift, one without a manifest named as a catalog split (an image shift there), one with neither.
 */
function selectionRoot(rows = 14): string {
  const root = mkdtempSync(join(tmpdir(), 'emishift-selection-'));
  const write = (name: string, seed: number, shift?: EmbeddingSet['shift']) => writeSplitFolder(join(root, name), { ...syntheticSet(rows, 16, seed, { offset: 0.2 * seed }), ...(shift ? { shift } : {}) });
  write('id', 1);
  write('blur', 2, SHIFTS.blur);
  write('typo', 3, SHIFTS.typo);
  write('both', 4, SHIFTS.both);
  write('llava_bench_coco_frost_5', 5);
  write('mystery', 6);
  return root;
}

test('--modality V|T|J|ALL: the OOD splits compared, from manifests then the catalog, each decision recorded with its reason', async () => {
  const root = selectionRoot();
  const everything = await sweepSplitFolders(root, 'id', estimator, { warn: () => {} });
  const byTarget = new Map(everything.comparisons.map((comparison) => [comparison.target, comparison]));
  const expected: Record<string, string[]> = { V: ['blur', 'llava_bench_coco_frost_5'], T: ['typo'], J: ['both'], ALL: ['blur', 'both', 'llava_bench_coco_frost_5', 'mystery', 'typo'] };
  for (const [modality, targets] of Object.entries(expected)) {
    const out = join(root, `results-${modality}.json`);
    const result = await sweepSplitFolders(root, 'id', estimator, { modality: modality as 'V', out, warn: () => {} });
    assert.deepEqual(result.comparisons.map((comparison) => comparison.target).sort(), targets, modality);
    // Selecting splits changes which are compared, never a comparison's numbers.
    for (const comparison of result.comparisons) assert.deepEqual(comparison, byTarget.get(comparison.target));
    const selection = result.provenance.split_selection;
    assert.equal(selection?.modality, modality);
    assert.deepEqual(selection?.splits.filter((entry) => entry.selected).map((entry) => entry.split).sort(), targets);
    assert.deepEqual(readResults(out).provenance?.split_selection, selection, 'written with the results and read back');
  }
  const v = (await sweepSplitFolders(root, 'id', estimator, { modality: 'V', warn: () => {} })).provenance.split_selection!;
  const entry = (name: string) => v.splits.find((split) => split.split === name);
  assert.deepEqual(entry('blur'), { split: 'blur', selected: true, shift_modality: 'image', shift_from: 'manifest', reason: 'an image-only shift (defocus blur, from the manifest)' });
  assert.deepEqual(entry('llava_bench_coco_frost_5'), { split: 'llava_bench_coco_frost_5', selected: true, shift_modality: 'image', shift_from: 'catalog', reason: 'an image-only shift (frost, from the scenario catalog)' });
  assert.equal(entry('typo')?.reason, 'a text-only shift (keyboard typos, from the manifest): not one of the image-only shifts');
  assert.equal(entry('mystery')?.reason, 'no shift recorded (neither its manifest nor the scenario catalog), so it cannot be shown to be one of the image-only shifts');
  assert.equal(entry('mystery')?.selected, false);
  assert.equal(v.without_metadata, 'a split whose shift neither its manifest nor the scenario catalog records is selected by ALL only');
  // Without the option, the provenance is as before.
  assert.equal('split_selection' in everything.provenance, false);
});

test('a selection that keeps nothing, or an unknown one, is an InputError on modality', () => {
  const splits = [{ name: 'a', shift: SHIFTS.blur }, { name: 'b' }];
  assert.throws(
    () => selectSplitsByShiftModality(splits, 'J', { file: '/root' }),
    (error: Error) => error instanceof InputError && error.message === '/root: modality: J (joint shifts (image and text)) selects none of the OOD splits (a: image, b: unrecorded)',
  );
  assert.throws(() => selectSplitsByShiftModality(splits, 'X' as never), (error: Error) => error.message === "modality: expected V, T, J, ALL, got 'X'");
  assert.deepEqual(selectSplitsByShiftModality(splits, 'ALL').splits.map((entry) => entry.selected), [true, true]);
});

test('seededRows: N distinct rows, ascending, fixed by (seed, n); every row equally likely over seeds', () => {
  const rows = seededRows(50, 10, 7);
  assert.equal(rows.length, 10);
  assert.equal(new Set(rows).size, 10);
  assert.deepEqual(rows, [...rows].sort((a, b) => a - b));
  assert.ok(rows.every((row) => Number.isInteger(row) && row >= 0 && row < 50));
  assert.deepEqual(seededRows(50, 10, 7), rows, 'the same seed gives the same rows');
  assert.notDeepEqual(seededRows(50, 10, 8), rows, 'another seed gives other rows');
  assert.deepEqual(seededRows(5, 5, 3), [0, 1, 2, 3, 4]);
  // Inclusion counts over 2000 seeds are Binomial(2000, 0.3) for each of 10 rows: mean 600,
  // sd 20.5. A tolerance of 5 sd fails a correct sampler with probability below 1e-5 over the
  // 10 rows; a sampler favouring low or high rows by 3 points of probability fails it.
  const counts = new Array<number>(10).fill(0);
  for (let seed = 0; seed < 2000; seed++) for (const row of seededRows(10, 3, seed)) counts[row] += 1;
  for (const count of counts) assert.ok(Math.abs(count - 600) < 5 * Math.sqrt(2000 * 0.3 * 0.7), `row included ${count} times`);
  assert.throws(() => seededRows(12, 20, 0, 'ood2'), (error: Error) => error instanceof InputError && error.message === "rows: 20 rows asked for, but split 'ood2' has 12");
  assert.throws(() => seededRows(12, 0), /rows: expected a positive integer, got 0/);
  assert.throws(() => seededRows(12, 3, -1), /seed: expected an integer ≥ 0, got -1/);
});

test('rowSubset: every split cut to its seeded rows (all matrices alike), equal to a sweep of the subsets, recorded per split', async () => {
  const sets = [syntheticSet(14, 16, 1, { name: 'id' }), syntheticSet(14, 16, 2, { name: 'ood1', offset: 0.4 }), syntheticSet(11, 16, 3, { name: 'ood2', offset: 0.8 })];
  const source = (set: EmbeddingSet) => ({ name: set.name!, location: `/data/${set.name}`, load: () => set });
  const subset = await sweepSplits(source(sets[0]), sets.slice(1).map(source), estimator, { rowSubset: { rows: 6, seed: 4 }, warn: () => {} });
  const byHand = sets.map((set) => subsetEmbeddingSet(set, seededRows(set.text.rows, 6, 4)));
  const direct = await sweepSplits(source(byHand[0]), byHand.slice(1).map(source), estimator, { warn: () => {} });
  assert.deepEqual(
    subset.comparisons.map(({ targetSplit, ...rest }) => rest),
    direct.comparisons.map(({ targetSplit, ...rest }) => rest),
  );
  assert.deepEqual(subset.provenance.row_subset, { rows: 6, seed: 4, method: ROW_SUBSET_METHOD });
  assert.deepEqual(subset.provenance.splits.id.row_subset, { of: 14, kept: seededRows(14, 6, 4) });
  assert.deepEqual(subset.provenance.splits.ood2.row_subset, { of: 11, kept: seededRows(11, 6, 4) });
  assert.equal(subset.provenance.splits.ood2.rows, 6);
  // Matrices are cut by the same rows: row k of every matrix is row kept[k] of the original.
  const kept = seededRows(11, 6, 4);
  const cut = subsetEmbeddingSet(sets[2], kept);
  for (const key of ['image', 'text', 'response', 'reference'] as const) {
    const matrix = sets[2][key]!;
    assert.deepEqual(Array.from(cut[key]!.data.subarray(16, 32)), Array.from(matrix.data.subarray(kept[1] * 16, kept[1] * 16 + 16)), key);
  }
  assert.equal('row_subset' in direct.provenance, false);
  await assert.rejects(
    sweepSplits(source(sets[0]), sets.slice(1).map(source), estimator, { rowSubset: { rows: 12 }, warn: () => {} }),
    (error: Error) => error instanceof InputError && error.message === "/data/ood2: rows: 12 rows asked for, but split 'ood2' has 11",
  );
});

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');
const cli = (...args: string[]) => {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

test('sweep --modality and --rows [--seed]: said on stdout and in the provenance; bad values exit 2 naming the option', () => {
  const root = selectionRoot(12);
  const club = join(root, 'club.safetensors');
  estimator.save(club);
  const plain = cli('sweep', '--root', root, '--id', 'id', '--club', club, '--json');
  assert.equal(plain.code, 0, plain.stderr);
  const plainJson = JSON.parse(plain.stdout);
  assert.equal('split_selection' in plainJson.provenance, false);
  assert.equal('row_subset' in plainJson.provenance, false);

  const chosen = cli('sweep', '--root', root, '--id', 'id', '--club', club, '--modality', 'V', '--rows', '8', '--seed', '3', '--json');
  assert.equal(chosen.code, 0, chosen.stderr);
  const json = JSON.parse(chosen.stdout);
  assert.deepEqual(Object.keys(json.EMID).sort(), ['blur', 'llava_bench_coco_frost_5']);
  assert.equal(json.provenance.split_selection.modality, 'V');
  assert.deepEqual(json.provenance.row_subset, { rows: 8, seed: 3, method: ROW_SUBSET_METHOD });
  assert.deepEqual(json.provenance.splits.blur.row_subset, { of: 12, kept: seededRows(12, 8, 3) });
  assert.equal(readSplitFolder(join(root, 'blur')).text.rows, 12, 'the folders are left as they are');

  const text = cli('sweep', '--root', root, '--id', 'id', '--club', club, '--modality', 'T', '--rows', '8');
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.split('\n');
  assert.equal(lines[0], '--modality T (text-only shifts): 1 of 5 OOD splits compared, left out 4 (image: 2, joint: 1, no shift recorded: 1); each reason is in provenance.split_selection');
  assert.equal(lines[1], 'rows: a seeded subset of 8 rows of every split (seed 0); the rows kept are in provenance.splits[NAME].row_subset');

  const bad = cli('sweep', '--root', root, '--id', 'id', '--club', club, '--modality', 'image');
  assert.deepEqual([bad.code, bad.stderr], [2, "emishift sweep: --modality: expected V, T, J, ALL, got 'image'\n"]);
  const tooMany = cli('sweep', '--root', root, '--id', 'id', '--club', club, '--rows', '13');
  assert.deepEqual([tooMany.code, tooMany.stderr], [2, `emishift sweep: ${join(root, 'id')}: --rows: 13 rows asked for, but split 'id' has 12\n`]);
  const zero = cli('sweep', '--root', root, '--id', 'id', '--club', club, '--rows', '0');
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /^emishift sweep: --rows: .*positive integer/);
  const seedAlone = cli('sweep', '--root', root, '--id', 'id', '--club', club, '--seed', '3');
  assert.deepEqual([seedAlone.code, seedAlone.stderr], [2, 'emishift sweep: --bootstrap: --confidence, --seed and --interval go with --bootstrap N\n']);
});
