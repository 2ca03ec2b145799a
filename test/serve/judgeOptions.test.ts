/** The judge options the studies use: a caption column as [Context], and how RP is formed from the scores. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULE_WITH_CAPTION, judgeSplit, readJudgeScores, relativePreference } from '../../src/serve/judge';
import { InputError } from '../../src/errors';
import type { SplitTable } from '../../src/data/splitRow';
import { testClientOptions, useFakeServerAndTempDirs } from './fakeOpenAiServer';
import { emishiftProcess } from '../support/cliProcess';

const { server, tmp } = useFakeServerAndTempDirs('emishift-judge-options-');

const scores = (pairs: [number | null, number | null][]) => pairs.map(([reference_score, model_score], i) => ({ question_id: i, reference_score, model_score }));

test('RP: ratio of means and mean of ratios by hand; a zero reference score is left out of the ratios, never an infinity', () => {
  const given = scores([
    [8, 6],
    [10, 5],
    [4, 6],
    [null, null],
  ]);
  const ofMeans = relativePreference(given);
  const ofRatios = relativePreference(given, 'mean-of-ratios');
  // (6 + 5 + 6) / (8 + 10 + 4) = 17 / 22; (6/8 + 5/10 + 6/4) / 3 = 2.75 / 3.
  assert.equal(ofMeans.method, 'ratio-of-means');
  assert.ok(Math.abs(ofMeans.rp - 17 / 22) < 1e-12);
  assert.equal(ofRatios.method, 'mean-of-ratios');
  assert.ok(Math.abs(ofRatios.rp - 2.75 / 3) < 1e-12);
  assert.deepEqual([ofRatios.count, ofRatios.meanModelScore, ofRatios.meanReferenceScore], [3, 17 / 3, 22 / 3]);
  assert.deepEqual(ofRatios.zeroReferenceIds, []);

  const withZero = scores([
    [0, 4],
    [8, 4],
    [5, 5],
  ]);
  const ratios = relativePreference(withZero, 'mean-of-ratios');
  assert.deepEqual(ratios.zeroReferenceIds, [0]);
  assert.ok(Math.abs(ratios.rp - (0.5 + 1) / 2) < 1e-12);
  assert.equal(ratios.count, 3, 'the question still counts as scored');
  assert.ok(Math.abs(relativePreference(withZero).rp - 13 / 13) < 1e-12);

  const allZero = scores([
    [0, 3],
    [0, 0],
  ]);
  assert.throws(() => relativePreference(allZero, 'mean-of-ratios'), (error: Error) => error instanceof InputError && error.message === 'rpMethod: every reference score is 0 (2 questions): no ratio to average');
  assert.throws(() => relativePreference(allZero), (error: Error) => error instanceof InputError && error.message === 'rpMethod: every reference score is 0 (2 questions): the ratio of means is undefined');
  assert.throws(() => relativePreference(given, 'median' as never), /rpMethod: expected ratio-of-means or mean-of-ratios, got 'median'/);
});

function captionedTable(captions: (string | undefined)[]): SplitTable {
  return {
    name: 'captioned',
    source: 'captioned.jsonl',
    rows: captions.map((caption, i) => ({
      question_id: i,
      question: `Question ${i}?`,
      reference_answer: `Reference ${i}.`,
      model_answer: `Model ${i}.`,
      ...(caption === undefined ? {} : { fields: { caption } }),
    })),
  };
}

/** Per question i the judge answers "(i + 2) (i + 1)" (model below the reference, their ratio varying). */
const judgeReply = ({ text }: { text: string }) => {
  const i = Number(/\[Question\]\nQuestion (\d+)\?/.exec(text)?.[1]);
  return `${i + 2} ${i + 1}\nreason`;
};

test('judgeSplit: the caption field is the [Context] with the caption rule, recorded, and part of what a rerun checks', async () => {
  server.resetCounters();
  server.options = { judgeReply };
  const outFile = join(tmp(), 'scores.jsonl');
  const table = captionedTable(['A dog on grass.', 'Two cats.\nA sofa.', 'A red bus.']);
  const summary = await judgeSplit(table, { outFile, clientOptions: testClientOptions(server), withImage: false, captionField: 'caption', rpMethod: 'mean-of-ratios' });
  assert.equal(server.requests.length, 3);
  for (const request of server.requests) {
    const i = Number(/Question (\d+)/.exec(request.text)?.[1]);
    assert.ok(request.text.startsWith(`[Context]\n${table.rows[i].fields?.caption}\n\n[Question]\nQuestion ${i}?\n\n`), request.text);
    assert.ok(request.text.endsWith(`[System]\n${RULE_WITH_CAPTION}\n\n`));
  }
  // Ratios 1/2, 2/3, 3/4 → mean 23/36; the ratio of means would be 6/9.
  assert.equal(summary.relativePreference?.method, 'mean-of-ratios');
  assert.ok(Math.abs((summary.relativePreference?.rp ?? NaN) - 23 / 36) < 1e-12);
  assert.ok(readJudgeScores(outFile).every((record) => record.metadata.caption_field === 'caption'));

  // The same file judged again without the caption scored other inputs: refused, not mixed.
  await assert.rejects(judgeSplit(table, { outFile, clientOptions: testClientOptions(server), withImage: false }), /scores question_id \d for a different question or answers than this split has/);
  // With it, everything is already scored.
  server.resetCounters();
  const again = await judgeSplit(table, { outFile, clientOptions: testClientOptions(server), withImage: false, captionField: 'caption' });
  assert.deepEqual([again.judged, again.skipped, server.requests.length], [0, 3, 0]);
  assert.ok(Math.abs((again.relativePreference?.rp ?? NaN) - 6 / 9) < 1e-12, 'ratio of means by default');
});

test('judgeSplit: a row without its caption, an empty caption, or both caption options are refused before any request', async () => {
  server.resetCounters();
  const outFile = join(tmp(), 'scores.jsonl');
  const run = (table: SplitTable, more: Record<string, unknown> = {}) => judgeSplit(table, { outFile, clientOptions: testClientOptions(server), captionField: 'caption', ...more });
  await assert.rejects(run(captionedTable(['a', undefined])), (error: Error) => error.message === "captioned.jsonl: captionField: question_id 1 has no field 'caption' (read the split with textFields: ['caption'])");
  await assert.rejects(run(captionedTable(['a', '  '])), (error: Error) => error.message === "captioned.jsonl: captionField: question_id 1: the caption in 'caption' is empty");
  await assert.rejects(run(captionedTable(['a']), { caption: () => 'x' }), (error: Error) => error.message === 'captionField: give caption or captionField, not both');
  assert.equal(server.requests.length, 0);
});


const emishift = emishiftProcess;

test('judge CLI: --caption-field and --rp are said in the JSON; without them the keys are as before; bad values exit 2', async () => {
  server.resetCounters();
  server.options = { judgeReply };
  const dir = tmp();
  const split = join(dir, 'split.jsonl');
  const lines = [0, 1, 2].map((i) => JSON.stringify({ question_id: i, question: `Question ${i}?`, reference_answer: `Reference ${i}.`, model_answer: `Model ${i}.`, caption: [`caption ${i}`, 'second sentence'] }));
  writeFileSync(split, lines.join('\n') + '\n');
  const serverArgs = ['--base-url', server.baseUrl, '--model', 'judge', '--retries', '0', '--text-only', '--json'];
  const plain = await emishift('judge', '--split', split, '--out', join(dir, 'plain.jsonl'), ...serverArgs);
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(Object.keys(JSON.parse(plain.stdout)), ['split', 'out', 'total', 'judged', 'skipped', 'failed', 'relative_preference', 'mean_model_score', 'mean_reference_score', 'scored']);
  assert.ok(server.requests.every((request) => request.text.startsWith('[Question]')));

  server.resetCounters();
  const out = join(dir, 'captioned.jsonl');
  const captioned = await emishift('judge', '--split', split, '--out', out, ...serverArgs, '--caption-field', 'caption', '--rp', 'mean-of-ratios');
  assert.equal(captioned.code, 0, captioned.stderr);
  const json = JSON.parse(captioned.stdout);
  assert.equal(json.rp_method, 'mean-of-ratios');
  assert.equal(json.caption_field, 'caption');
  assert.equal(json.zero_reference, 0);
  assert.ok(Math.abs(json.relative_preference - 23 / 36) < 1e-12);
  assert.ok(server.requests.every((request) => /^\[Context\]\ncaption \d\nsecond sentence\n\n/.test(request.text)));

  const text = await emishift('judge', '--split', split, '--out', out, '--base-url', server.baseUrl, '--model', 'judge', '--text-only', '--caption-field', 'caption', '--rp', 'mean-of-ratios');
  assert.equal(text.stdout, 'split: RP = 0.6389 (mean of ratios) over 3 questions (0 judged now, 0 failed)\n');

  const badRp = await emishift('judge', '--split', split, '--out', out, ...serverArgs, '--rp', 'median');
  assert.equal(badRp.code, 2);
  assert.equal(badRp.stderr, "emishift judge: --rp: expected ratio-of-means or mean-of-ratios, got 'median'\n");
  const noField = await emishift('judge', '--split', split, '--out', out, ...serverArgs, '--caption-field', 'context');
  assert.equal(noField.code, 2);
  assert.equal(noField.stderr, `emishift judge: ${split}: line 1: context: expected a string or a list of strings, got nothing (the field is missing)\n`);
});
