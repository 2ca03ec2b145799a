import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isInputError } from '../../src/errors';
import { readRelativePreferences } from '../../src/data/formats/relativePreferences';
import { relativePreferenceQuality, withQuality } from '../../src/sweep/quality';
import { fromResultsJson, toResultsJson } from '../../src/sweep/resultsJson';
import { figuresFromResults } from '../../src/plots/figures';
import { summarizeResults } from '../../src/report/summary';
import { kendallTauB, spearman } from '../../src/stats/correlation';

const work = mkdtempSync(join(tmpdir(), 'emishift-quality-'));

const RESULT = fromResultsJson({
  EMI: { id: 0.5, a: 0.4, b: 0.3, c: 0.25, d: 0.1 },
  EMID: { a: 0.1, b: 0.2, c: 0.25, d: 0.4 },
  EMID_UB: { a: 1, b: 1.3, c: 1.2, d: 1.6 },
});

function assertInputError(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => isInputError(error) && pattern.test((error as Error).message) && !(error as Error).message.includes('\n'));
}

test('withQuality keeps the values of the result\'s splits in EMI order and ranks EMI against them', () => {
  const joined = withQuality(RESULT, { key: 'RP', label: 'relative preference', values: { d: 0.7, b: 0.9, a: 1.0, elsewhere: 2, c: 0.95 } });
  assert.deepEqual(Object.keys(joined.quality!.values), ['a', 'b', 'c', 'd'], 'EMI order; the split not in the results is dropped');
  const emi = [0.4, 0.3, 0.25, 0.1];
  const rp = [1.0, 0.9, 0.95, 0.7];
  assert.deepEqual(joined.quality!.emiCorrelation, { n: 4, spearmanRho: spearman(emi, rp).rho, spearmanPval: spearman(emi, rp).pValue, kendallTau: kendallTauB(emi, rp).tau, kendallPval: kendallTauB(emi, rp).pValue });
  assert.equal(RESULT.quality, undefined, 'the result itself is untouched');
  // Written under its key, read back the same, drawn and summarized.
  const json = toResultsJson(joined);
  assert.deepEqual(json.quality, { key: 'RP', label: 'relative preference', higher_is_better: true });
  assert.deepEqual(json.RP, { a: 1.0, b: 0.9, c: 0.95, d: 0.7 });
  assert.equal((json.EMI_vs_RP as { n: number }).n, 4);
  assert.deepEqual(fromResultsJson(JSON.parse(JSON.stringify(json))).quality, joined.quality);
  assert.ok(figuresFromResults(joined).some((figure) => figure.id === 'emi-vs-quality'));
  assert.equal(summarizeResults(joined).quality?.label, 'relative preference');

  // Fewer than 3 splits or a constant quality: no correlation. No split in common: an error.
  assert.equal(withQuality(RESULT, { key: 'ACC', values: { a: 1, b: 0.5 } }).quality!.emiCorrelation, undefined);
  assert.equal(withQuality(RESULT, { key: 'ACC', values: { a: 1, b: 1, c: 1 } }).quality!.emiCorrelation, undefined);
  assert.equal(withQuality(RESULT, { key: 'ACC', values: { a: 1 } }).quality!.label, 'acc', 'the label defaults to the key in lower case');
  assertInputError(() => withQuality(RESULT, { key: 'RP', values: { x: 1, y: 2 } }), /^RP: none of the 2 splits with a RP value \(x, y\) is in the results$/);
});

test('readRelativePreferences reads the judges\' RP file; relativePreferenceQuality picks one judge', () => {
  const file = join(work, 'rp.csv');
  writeFileSync(file, 'split,judge,rp_score,num_samples\r\na,llama,1.0,90\nb,llama,0.9,90\n"c",llama,0.95,90\nd,llama,0.7,\na,qwen,1.1,90\n');
  const scores = readRelativePreferences(file);
  assert.deepEqual(scores[0], { split: 'a', judge: 'llama', rp: 1.0, samples: 90 });
  assert.deepEqual(scores[3], { split: 'd', judge: 'llama', rp: 0.7 }, 'num_samples may be empty');
  const llama = relativePreferenceQuality(scores, 'llama');
  assert.deepEqual(llama, { key: 'RP', label: 'RP (judge llama)', higherIsBetter: true, values: { a: 1.0, b: 0.9, c: 0.95, d: 0.7 } });
  assert.equal(withQuality(RESULT, llama).quality?.emiCorrelation?.n, 4);
  assertInputError(() => relativePreferenceQuality(scores, 'gpt'), /^judge: no RP scores of judge 'gpt' \(judges in the file: llama, qwen\)$/);

  const bad = (name: string, text: string, pattern: RegExp) => {
    const path = join(work, name);
    writeFileSync(path, text);
    assertInputError(() => readRelativePreferences(path), pattern);
  };
  bad('columns.csv', 'split,score\na,1\n', /columns\.csv: line 1: missing columns judge, rp_score/);
  bad('number.csv', 'split,judge,rp_score\na,llama,high\n', /number\.csv: line 2: rp_score: expected a non-negative number, got 'high'/);
  bad('fields.csv', 'split,judge,rp_score\na,llama\n', /fields\.csv: line 2: 2 fields, expected 3/);
  bad('twice.csv', 'split,judge,rp_score\na,llama,1\na,llama,2\n', /twice\.csv: line 3: split 'a' and judge 'llama' again \(first on line 2\)/);
  bad('samples.csv', 'split,judge,rp_score,num_samples\na,llama,1,ninety\n', /samples\.csv: line 2: num_samples: expected a positive integer, got 'ninety'/);
  bad('empty.csv', 'split,judge,rp_score\n', /empty\.csv: no data rows after the header/);
});
