import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emidUpperBound } from '../../src/bound/emidUpperBound';
import { emid } from '../../src/emi/emi';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { comparePair, sweepSplits, type ComputedComparison } from '../../src/sweep/sweep';
import { fromResultsJson, toResultsJson } from '../../src/sweep/resultsJson';
import { syntheticSet } from '../support/synthetic';
import type { EmbeddingSet } from '../../src/interface';

const estimator = new ClubEstimator(initClubParameters({ xDim: 16, yDim: 16, hiddenDim: 8 }, 1));
const source = syntheticSet(14, 16, 1, { name: 'id' });
const targets = [1, 2, 3, 4].map((k) => syntheticSet(14, 16, 1 + k, { name: `ood${k}`, offset: 0.5 * k }));
const lazy = (set: EmbeddingSet) => ({ name: set.name!, load: () => set });

test('a sweep equals the pairwise API applied to each OOD split', async () => {
  const result = await sweepSplits(lazy(source), targets.map(lazy), estimator, { entropyScale: 2 });
  assert.equal(result.comparisons.length, 4);
  for (const [index, target] of targets.entries()) {
    const comparison = result.comparisons[index];
    assert.equal(comparison.target, target.name);
    const expectedEmid = await emid(source, target, estimator);
    const expectedBound = await emidUpperBound(source, target, { entropyScale: 2 });
    assert.ok(Math.abs(comparison.emid - expectedEmid.emid) < 1e-12);
    assert.ok(Math.abs(comparison.emidUpperBound - expectedBound.value) < 1e-10);
    assert.ok(Math.abs((comparison.emidUpperBoundFull ?? NaN) - (expectedBound.full ?? NaN)) < 1e-10);
    assert.ok(Math.abs(result.emi[target.name!].emi - expectedEmid.target.emi) < 1e-12);
  }
  assert.equal(result.correlation?.n, 4);
  const json = toResultsJson(result);
  assert.deepEqual(Object.keys(json.EMI).sort(), ['id', 'ood1', 'ood2', 'ood3', 'ood4']);
  assert.deepEqual(Object.keys(json.EMID_UB).sort(), ['ood1', 'ood2', 'ood3', 'ood4']);
  assert.equal(json.PearsonR, result.correlation?.pearson.r);
  // jsd_py is the ID split's own divergence: the same in every comparison.
  assert.equal(new Set(Object.values(json.JSD_PY ?? {})).size, 1);
});

test('the bound grows as the query shift grows', async () => {
  // Same seed for every target, so only the shift (along one axis) differs between them.
  const shifted = [1, 2, 3, 4].map((k) => syntheticSet(14, 16, 7, { name: `shift${k}`, offset: 1.5 * k }));
  const result = await sweepSplits(lazy(source), shifted.map(lazy), estimator);
  const jsdT = result.comparisons.map((comparison) => comparison.terms.jsdT);
  for (let k = 1; k < jsdT.length; k++) assert.ok(jsdT[k] > jsdT[k - 1], `jsd_t ${jsdT}`);
});

test('completed comparisons are not recomputed, and each new one is reported once', async () => {
  const first = await sweepSplits(lazy(source), targets.map(lazy), estimator);
  const seen: string[] = [];
  const loads: string[] = [];
  const counting = (set: EmbeddingSet) => ({ name: set.name!, load: () => (loads.push(set.name!), set) });
  const resumed = await sweepSplits(counting(source), targets.map(counting), estimator, {
    completed: first.comparisons.slice(0, 2),
    onComparison: (comparison: ComputedComparison) => seen.push(comparison.target),
  });
  assert.deepEqual(seen.sort(), ['ood3', 'ood4']);
  assert.deepEqual(loads.sort(), ['id', 'ood3', 'ood4']);
  assert.deepEqual(resumed.comparisons.map((c) => c.emid), first.comparisons.map((c) => c.emid));
});

test('comparePair names the sets and has no correlation to report', async () => {
  const comparison = await comparePair(source, targets[0], estimator);
  assert.equal(comparison.source, 'id');
  assert.equal(comparison.target, 'ood1');
  const fewer = await sweepSplits(lazy(source), targets.slice(0, 2).map(lazy), estimator);
  assert.equal(fewer.correlation, undefined);
  assert.equal(toResultsJson(fewer).PearsonR, null);
});

test('writeResults and readResults: a sweep through its file, and toPairJson of a comparison', async () => {
  const { readResults, writeResults, toPairJson } = await import('../../src/sweep/resultsJson');
  const { mkdtempSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const result = await sweepSplits(lazy(source), targets.map(lazy), estimator, { entropyScale: 1 });
  const file = join(mkdtempSync(join(tmpdir(), 'emishift-results-')), 'nested', 'results.json');
  writeResults(file, result, { note: 'kept' });
  assert.equal(readFileSync(file, 'utf8'), `${JSON.stringify(toResultsJson(result, { note: 'kept' }), null, 2)}\n`);
  const read = readResults(file);
  assert.deepEqual(read.metadata, { note: 'kept' });
  const { metadata: _metadata, ...rest } = read;
  assert.deepEqual(rest, JSON.parse(JSON.stringify(result)), 'every part of the sweep comes back');

  const pair = toPairJson(result.comparisons[0], 'basic');
  assert.equal(pair.emid, result.comparisons[0].emid);
  assert.equal(pair.source_mi_model, result.comparisons[0].sourceEmi.miModel);
  assert.equal(pair.jsd_qy, result.comparisons[0].terms.jsdQy);
  assert.equal(pair.emid_ub_full, result.comparisons[0].emidUpperBoundFull);
  assert.equal(pair.interval_method, undefined, 'no intervals, no method');
  // A comparison read from a reference-format file has no MI estimates nor terms: null, not missing.
  const published = fromResultsJson({ EMI: { id: 0.3, a: 0.2 }, EMID: { a: 0.1 }, EMID_UB: { a: 1 } });
  assert.deepEqual(toPairJson(published.comparisons[0]), {
    source_mi_model: null, source_mi_ref: null, target_mi_model: null, target_mi_ref: null, emi_source: 0.3, emi_target: 0.2, emid: 0.1,
    jsd_v: null, jsd_t: null, jsd_py: null, jsd_qy: null, emid_ub: 1,
  });
});

test('the sweep reports the ID split\'s own failure first, then the earliest failing OOD split\'s', async () => {
  const wide = syntheticSet(14, 20, 9, { name: 'wide' });
  // The ID split's queries do not fit the 16-d network; an OOD split also has the wrong shape.
  await assert.rejects(sweepSplits(lazy(wide), [lazy(targets[0])], estimator, { warn: () => {} }), /x \(queries\) has dimension 20, the CLUB network expects 16/);
  const located = (set: EmbeddingSet, location: string) => ({ name: set.name!, location, load: () => set });
  await assert.rejects(
    sweepSplits(lazy(source), [located(targets[0], 'A'), located(syntheticSet(14, 20, 3, { name: 'bad1' }), 'B'), located(syntheticSet(14, 20, 4, { name: 'bad2' }), 'C')], estimator, { warn: () => {} }),
    (error: Error) => /^B: /.test(error.message) && /queries 20-d with images, responses 20-d, but the ID split 'id' has queries 16-d/.test(error.message),
  );
});

test('at most `concurrency` OOD splits are read and unfinished at once', async () => {
  let inFlight = 0;
  let most = 0;
  const counting = (set: EmbeddingSet) => ({
    name: set.name!,
    load: () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      return set;
    },
  });
  const result = await sweepSplits(lazy(source), [...targets, ...targets.map((t) => ({ ...t, name: `${t.name}b` }))].map(counting), estimator, {
    concurrency: 2,
    onComparison: () => (inFlight -= 1),
  });
  assert.equal(result.comparisons.length, 8);
  assert.equal(most, 2);
  const all = await sweepSplits(lazy(source), targets.map(lazy), estimator);
  assert.deepEqual(all.comparisons.map((c) => c.emid), result.comparisons.slice(0, 4).map((c) => c.emid));
});
