import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { comparePair, sweepSplits, type SplitSource } from '../../src/sweep/sweep';
import { sweepSplitFolders } from '../../src/sweep/sweepFolder';
import { fromResultsJson, toPairJson, toResultsJson } from '../../src/sweep/resultsJson';
import { permutationTest } from '../../src/significance/permutationTest';
import { benjaminiHochberg } from '../../src/stats/multipleTesting';
import { writeSplitFolder } from '../../src/data/splitDirectory';
import { syntheticSet } from '../support/synthetic';
import type { EmbeddingSet } from '../../src/interface';

const estimator = new ClubEstimator(initClubParameters({ xDim: 16, yDim: 16, hiddenDim: 8 }, 1));
const sets = [syntheticSet(14, 16, 1, { name: 'id' }), ...[1, 2, 3].map((k) => syntheticSet(14, 16, 1 + k, { name: `ood${k}`, offset: 0.5 * k }))];
const lazy = (set: EmbeddingSet): SplitSource => ({ name: set.name!, load: () => set });
const quiet = { warn: () => undefined };

test('a sweep with permutations: each comparison’s p-values are its permutationTest’s, EMID’s q-values are BH-adjusted, and nothing else changes', async () => {
  const settings = { permutations: 49, seed: 5 };
  const plain = await sweepSplits(lazy(sets[0]), sets.slice(1).map(lazy), estimator, quiet);
  const tested = await sweepSplits(lazy(sets[0]), sets.slice(1).map(lazy), estimator, { ...quiet, permutationTest: settings });
  for (const [index, comparison] of tested.comparisons.entries()) {
    const direct = await permutationTest(sets[0], sets[1 + index], estimator, settings);
    const { pValues, ...rest } = comparison;
    assert.deepEqual(rest, plain.comparisons[index]);
    assert.deepEqual(
      { emid: pValues?.emid, jsdV: pValues?.jsdV, jsdT: pValues?.jsdT, emidUpperBound: pValues?.emidUpperBound },
      { emid: direct.statistics.emid?.pValue, jsdV: direct.statistics.jsd_v?.pValue, jsdT: direct.statistics.jsd_t?.pValue, emidUpperBound: direct.statistics.emid_ub?.pValue },
    );
  }
  const q = benjaminiHochberg(tested.comparisons.map((c) => c.pValues!.emid));
  assert.deepEqual(tested.comparisons.map((c) => c.pValues!.emidQValue), q);
  const record = tested.provenance.permutation_test;
  assert.equal(record?.permutations, 49);
  assert.equal(record?.seed, 5);
  assert.match(record?.adjustment ?? '', /Benjamini–Hochberg across the 3 OOD splits/);
  assert.equal('permutation_test' in plain.provenance, false);
  // The results format: the new maps only with p-values; without, the same JSON as before.
  const json = toResultsJson(tested);
  assert.deepEqual(json.EMID_PVAL, Object.fromEntries(tested.comparisons.map((c) => [c.target, c.pValues!.emid])));
  assert.deepEqual(json.EMID_QVAL, Object.fromEntries(tested.comparisons.map((c) => [c.target, c.pValues!.emidQValue])));
  for (const key of ['EMID_UB_PVAL', 'JSD_V_PVAL', 'JSD_T_PVAL']) assert.equal(Object.keys(json[key] as object).length, 3, key);
  const { provenance: _p, ...plainJson } = toResultsJson(plain);
  assert.equal(Object.keys(plainJson).some((key) => /PVAL|QVAL/.test(key)), false);
  // Read back: the same p-values and q-values.
  const read = fromResultsJson(JSON.parse(JSON.stringify(json)));
  assert.deepEqual(read.comparisons.map((c) => c.pValues), tested.comparisons.map((c) => c.pValues));
  assert.deepEqual(read.provenance?.permutation_test, record);
});

test('the results format refuses incomplete or impossible p-value maps', async () => {
  const tested = await sweepSplits(lazy(sets[0]), sets.slice(1).map(lazy), estimator, { ...quiet, permutationTest: { permutations: 9 } });
  const json = JSON.parse(JSON.stringify(toResultsJson(tested)));
  assert.throws(() => fromResultsJson({ ...json, JSD_T_PVAL: undefined }), /the p-value maps come as a set: JSD_T_PVAL missing/);
  assert.throws(() => fromResultsJson({ ...json, EMID_PVAL: { ...json.EMID_PVAL, ood2: 1.5 } }), /EMID_PVAL\['ood2'\]: expected a p-value in \[0, 1\], got 1.5|expected a p-value in \[0, 1\], got 1.5/);
  assert.throws(() => fromResultsJson({ ...json, EMID_QVAL: { ood1: 0.1 } }), /mismatched splits/);
  const { EMID_PVAL: _a, EMID_UB_PVAL: _b, JSD_V_PVAL: _c, JSD_T_PVAL: _d, ...qOnly } = json;
  assert.throws(() => fromResultsJson(qOnly), /EMID_QVAL needs the p-value maps/);
  // Without q-values (a file of pair p-values, say) the p-values are read alone.
  const { EMID_QVAL: _q, ...noQ } = json;
  assert.equal(fromResultsJson(noQ).comparisons[0].pValues?.emidQValue, undefined);
});

test('comparePair with permutations: the pair JSON gains the four *_pvalue keys, and no adjustment is recorded', async () => {
  const pair = await comparePair(sets[0], sets[2], estimator, { ...quiet, permutationTest: { permutations: 19, seed: 2 } });
  const plain = await comparePair(sets[0], sets[2], estimator, quiet);
  const json = toPairJson(pair);
  const plainJson = toPairJson(plain);
  assert.deepEqual(Object.keys(json), [...Object.keys(plainJson), 'emid_pvalue', 'jsd_v_pvalue', 'jsd_t_pvalue', 'emid_ub_pvalue']);
  const direct = await permutationTest(sets[0], sets[2], estimator, { permutations: 19, seed: 2 });
  assert.equal(json.emid_pvalue, direct.statistics.emid?.pValue);
  assert.equal(json.emid_ub_pvalue, direct.statistics.emid_ub?.pValue);
  assert.equal(pair.pValues?.emidQValue, undefined);
  assert.equal(pair.provenance.permutation_test?.adjustment, undefined);
  assert.equal(pair.provenance.permutation_test?.permutations, 19);
  await assert.rejects(comparePair(sets[0], sets[2], estimator, { ...quiet, permutationTest: { permutations: 0 } }), (error: Error & { field?: string }) => error.field === 'permutations');
  await assert.rejects(comparePair(sets[0], syntheticSet(1, 16, 9, { name: 'tiny' }), estimator, { ...quiet, permutationTest: { permutations: 5 } }), /the target split 'tiny' has 1 row/);
});

test('a sweep with permutations resumes from its checkpoint (p-values kept, q-values recomputed), and one made without them is stale', async () => {
  const root = mkdtempSync(join(tmpdir(), 'emishift-permutation-sweep-'));
  for (const set of sets) writeSplitFolder(join(root, set.name!), set);
  const out = join(root, 'results.json');
  const options = { ...quiet, permutationTest: { permutations: 19, seed: 1 } };
  const first = await sweepSplitFolders(root, 'id', estimator, { out, ...options });
  // An interrupted run: its final write fails (a folder stands where the results go), so its checkpoint stays.
  const blocked = join(mkdtempSync(join(tmpdir(), 'emishift-blocked-')), 'results.json');
  mkdirSync(blocked);
  await assert.rejects(sweepSplitFolders(root, 'id', estimator, { out: blocked, ...options }));
  const lines = readFileSync(`${blocked}.partial.jsonl`, 'utf8').trim().split('\n');
  assert.equal(lines.length, 4);
  const tampered = JSON.parse(lines[1]);
  tampered.pValues.emid = 0.001;
  const partial = `${out}.partial.jsonl`;
  writeFileSync(partial, [lines[0], JSON.stringify(tampered)].join('\n') + '\n');
  const resumed = await sweepSplitFolders(root, 'id', estimator, { out, ...options });
  const p = resumed.comparisons.map((c) => c.pValues!.emid);
  assert.equal(resumed.comparisons.find((c) => c.target === tampered.target)?.pValues?.emid, 0.001, 'the checkpointed p-value is reused');
  assert.deepEqual(resumed.comparisons.map((c) => c.pValues!.emidQValue), benjaminiHochberg(p), 'q-values over resumed and new comparisons');
  assert.deepEqual(
    resumed.comparisons.filter((c) => c.target !== tampered.target).map((c) => c.pValues),
    first.comparisons.filter((c) => c.target !== tampered.target).map((c) => ({ ...c.pValues!, emidQValue: resumed.comparisons.find((r) => r.target === c.target)!.pValues!.emidQValue })),
  );
  // A checkpoint of a sweep without p-values does not feed one with them (and vice versa).
  const plainBlocked = join(mkdtempSync(join(tmpdir(), 'emishift-blocked-')), 'results.json');
  mkdirSync(plainBlocked);
  await assert.rejects(sweepSplitFolders(root, 'id', estimator, { out: plainBlocked, ...quiet }));
  writeFileSync(partial, readFileSync(`${plainBlocked}.partial.jsonl`));
  const fresh = await sweepSplitFolders(root, 'id', estimator, { out, ...options });
  assert.ok(fresh.comparisons.every((c) => c.pValues !== undefined));
  assert.deepEqual(fresh.comparisons.map((c) => c.pValues), first.comparisons.map((c) => c.pValues));
});

test('text-only splits: jsd_v is not tested, so its p-value is absent (null in the results and the pair JSON), not 1', async () => {
  const textOnly = [0, 1, 2].map((k) => syntheticSet(14, 16, 20 + k, { name: k === 0 ? 'id' : `ood${k}`, offset: 0.4 * k, image: false }));
  const settings = { permutations: 29, seed: 3 };
  const tested = await sweepSplits(lazy(textOnly[0]), textOnly.slice(1).map(lazy), estimator, { ...quiet, permutationTest: settings });
  for (const [index, comparison] of tested.comparisons.entries()) {
    assert.equal(comparison.pValues?.jsdV, undefined);
    assert.equal('jsdV' in (comparison.pValues ?? {}), false);
    // The other statistics are tested on the same partitions as before: the same p-values.
    const direct = await permutationTest(textOnly[0], textOnly[1 + index], estimator, settings);
    assert.equal(direct.statistics.jsd_v, undefined, 'the library leaves the constant statistic out too');
    assert.deepEqual(
      { emid: comparison.pValues?.emid, jsdT: comparison.pValues?.jsdT, emidUpperBound: comparison.pValues?.emidUpperBound },
      { emid: direct.statistics.emid?.pValue, jsdT: direct.statistics.jsd_t?.pValue, emidUpperBound: direct.statistics.emid_ub?.pValue },
    );
  }
  const record = tested.provenance.permutation_test;
  assert.deepEqual(record?.statistics, ['emid', 'jsd_t', 'emid_ub']);
  assert.deepEqual(Object.keys(record?.alternatives ?? {}), ['emid', 'jsd_t', 'emid_ub']);
  const json = JSON.parse(JSON.stringify(toResultsJson(tested)));
  assert.deepEqual(json.JSD_V_PVAL, { ood1: null, ood2: null });
  assert.equal(Object.values(json.JSD_T_PVAL as Record<string, number>).every((p) => typeof p === 'number'), true);
  const read = fromResultsJson(json);
  assert.deepEqual(read.comparisons.map((c) => c.pValues), tested.comparisons.map((c) => c.pValues));
  // A null map entry still has to name EMID's splits.
  assert.throws(() => fromResultsJson({ ...json, JSD_V_PVAL: { ood1: null } }), /mismatched splits.*JSD_V_PVAL lacks 'ood2'/);
  const pair = await comparePair(textOnly[0], textOnly[1], estimator, { ...quiet, permutationTest: settings });
  const pairJson = toPairJson(pair);
  assert.equal(pairJson.jsd_v_pvalue, null);
  assert.equal(typeof pairJson.jsd_t_pvalue, 'number');
  assert.deepEqual(pair.provenance.permutation_test?.statistics, ['emid', 'jsd_t', 'emid_ub']);
  // With images, all four, as before.
  const imaged = await comparePair(sets[0], sets[1], estimator, { ...quiet, permutationTest: settings });
  assert.equal(typeof toPairJson(imaged).jsd_v_pvalue, 'number');
  assert.deepEqual(imaged.provenance.permutation_test?.statistics, ['emid', 'jsd_v', 'jsd_t', 'emid_ub']);
});
