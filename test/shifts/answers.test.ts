/** Output-side shifts: answers replaced by other rows' answers, seeded, never a row's own. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerSwapSet, answerSwapSources, answerSwapTable, ANSWER_SWAP_RATES } from '../../src/shifts/answers';
import { answerSwapGrid, defaultShiftGrid, gridSplitShift } from '../../src/benchmark/splitGrid';
import { readSplitFolder, writeSplitFolder } from '../../src/data/splitDirectory';
import { fromResultsJson } from '../../src/sweep/resultsJson';
import type { SplitTable } from '../../src/data/splitRow';
import type { RgbImage } from '../../src/io/image';
import { answeredSplit } from '../support/identityClub';

test('a share rate of the rows get another row’s answer, never their own; seeded and nested across rates', () => {
  for (const rate of ANSWER_SWAP_RATES) {
    const sources = answerSwapSources(50, rate, 7);
    const replaced = Array.from(sources).filter((source, row) => source !== row).length;
    assert.equal(replaced, Math.round(rate * 50), `rate ${rate}`);
    assert.deepEqual(answerSwapSources(50, rate, 7), sources);
  }
  assert.notDeepEqual(answerSwapSources(50, 0.4, 8), answerSwapSources(50, 0.4, 7));
  // The rows replaced at 0.2 keep the same other answer at 0.8.
  const low = answerSwapSources(50, 0.2, 3);
  const high = answerSwapSources(50, 0.8, 3);
  low.forEach((source, row) => source !== row && assert.equal(high[row], source));
  assert.deepEqual(Array.from(answerSwapSources(10, 0, 1)), Array.from({ length: 10 }, (_, i) => i));
  assert.throws(() => answerSwapSources(1, 0.5, 0), /at least 2 rows/);
  assert.throws(() => answerSwapSources(10, 1.5, 0), /rate between 0 and 1/);
});

test('tables swap the answer texts; sets move the matrix rows; the other column is untouched', () => {
  const table: SplitTable = {
    name: 'id',
    source: 'test',
    rows: Array.from({ length: 20 }, (_, i) => ({ question_id: i, question: `q${i}`, reference_answer: `ref${i}`, model_answer: `model${i}` })),
  };
  const swapped = answerSwapTable(table, { name: 'model_answer_swap', rate: 0.4, seed: 2 });
  const sources = answerSwapSources(20, 0.4, 2);
  assert.equal(swapped.name, 'id_model_answer_swap_0.4');
  swapped.rows.forEach((row, i) => {
    assert.equal(row.model_answer, `model${sources[i]}`);
    assert.equal(row.reference_answer, `ref${i}`);
    assert.equal(row.question, `q${i}`);
  });
  assert.deepEqual(swapped.shift, { family: 'model_answer_swap', label: 'model answers swapped', modality: 'answer', severity: 0.4, unit: 'share of answers replaced' });
  const labels = answerSwapTable(table, { name: 'reference_answer_swap', rate: 0.4, seed: 2 });
  labels.rows.forEach((row, i) => assert.equal(row.reference_answer, `ref${sources[i]}`));
  assert.throws(() => answerSwapTable({ ...table, rows: [{ question_id: 0, question: 'q', reference_answer: 'r' }, { question_id: 1, question: 'q', reference_answer: 'r' }] }, { name: 'model_answer_swap', rate: 0.5, seed: 0 }), /no model answer/);

  // Tables with decoded pixels (what answerShiftGrid gives) are swapped too, their images kept in place.
  const pixels: SplitTable<RgbImage> = { ...table, rows: table.rows.map((row, i) => ({ ...row, image: { width: 1, height: 1, data: Uint8Array.of(i, i, i) } })) };
  const swappedPixels: SplitTable<RgbImage> = answerSwapTable(pixels, { name: 'model_answer_swap', rate: 0.4, seed: 2 });
  swappedPixels.rows.forEach((row, i) => {
    assert.equal(row.model_answer, `model${sources[i]}`);
    assert.equal(row.image!.data[0], i);
  });

  const set = answeredSplit(20, 4, 1, 'id');
  const moved = answerSwapSet(set, { name: 'reference_answer_swap', rate: 0.6, seed: 5 });
  const rows = answerSwapSources(20, 0.6, 5);
  assert.equal(moved.name, 'id_reference_answer_swap_0.6');
  for (let i = 0; i < 20; i++) assert.deepEqual(Array.from(moved.reference.data.subarray(i * 4, i * 4 + 4)), Array.from(set.reference.data.subarray(rows[i] * 4, rows[i] * 4 + 4)));
  assert.equal(moved.response, set.response);
});

test('the family travels in the manifest and in a results file’s SHIFT map like the others', () => {
  const root = mkdtempSync(join(tmpdir(), 'emishift-answers-'));
  try {
    const moved = answerSwapSet(answeredSplit(12, 4, 2, 'id'), { name: 'model_answer_swap', rate: 0.2, seed: 1 });
    writeSplitFolder(join(root, 'swapped'), moved);
    assert.deepEqual(readSplitFolder(join(root, 'swapped')).shift, moved.shift);
    const results = fromResultsJson({ EMI: { id: 0.1, s: 0.05 }, EMID: { s: 0.05 }, EMID_UB: { s: 1 }, SHIFT: { s: moved.shift } } as never);
    assert.equal(results.shifts.s.modality, 'answer');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the benchmark has the family as a grid of its own; the default grid is unchanged', () => {
  const grid = answerSwapGrid();
  assert.deepEqual(grid.map((spec) => spec.name), ['shift_none', 'shift_model_answer_swap_0.2', 'shift_model_answer_swap_0.4', 'shift_model_answer_swap_0.6', 'shift_model_answer_swap_0.8']);
  assert.deepEqual(gridSplitShift(grid[2]), { family: 'model_answer_swap', label: 'model answers swapped', modality: 'answer', severity: 0.4, unit: 'share of answers replaced' });
  assert.equal(answerSwapGrid('reference_answer_swap')[4].name, 'shift_reference_answer_swap_0.8');
  assert.equal(defaultShiftGrid().length, 43);
  assert.ok(defaultShiftGrid().every((spec) => spec.answers === undefined));
});
