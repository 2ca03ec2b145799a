/**
 * answerShiftGrid on the shipped benchmark (its model and ID queries): one table per grid split in
 * the grid's order, each split's shifts applied before answering, and an output-side split's
 * answers swapped after answering by the seeded sources — the model's answers on a
 * model_answer_swap split, the references on a reference_answer_swap split.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { answerShiftGrid } from '../../src/benchmark/answerGrid';
import { readBenchmarkData } from '../../src/benchmark/benchmarkFiles';
import { loadAnsweringModel, slotAccuracy } from '../../src/benchmark/model';
import { answerSwapGrid, gridAnswerSources, splitName, type GridSplitSpec } from '../../src/benchmark/splitGrid';

const SHIPPED = join(__dirname, '..', '..', '..', 'data', 'benchmark');
const SEED = 11;

test('answerShiftGrid: every split answered after its shifts, output-side answers swapped by the seeded sources', async () => {
  const data = readBenchmarkData(SHIPPED);
  const queries = data.queries.slice(0, 40);
  const images = data.images.slice(0, 40);
  const model = await loadAnsweringModel(join(SHIPPED, 'answering-model.json'));
  const [clean, modelSwap] = answerSwapGrid('model_answer_swap', [0.6]);
  const referenceSwap = answerSwapGrid('reference_answer_swap', [0.6])[1];
  const frost: GridSplitSpec = { name: splitName({ name: 'frost', severity: 5 }), image: { name: 'frost', severity: 5 } };
  const grid = [clean, modelSwap, referenceSwap, frost];
  const progress: number[] = [];
  const { tables, accuracy } = await answerShiftGrid(model, queries, grid, { seed: SEED, images, onProgress: ({ done }) => progress.push(done) });

  assert.deepEqual(tables.map((table) => table.name), grid.map((spec) => spec.name));
  assert.deepEqual(progress, [0, 1, 2, 3, 4]);
  const [id, swappedModel, swappedReference, frosted] = tables;
  assert.equal(id.shift?.family, 'none');
  assert.equal(swappedModel.shift?.family, 'model_answer_swap');
  assert.equal(swappedModel.shift?.severity, 0.6);
  // The ID split is the queries as they are, answered by the model.
  const given = await model.answer(images, queries.map((query) => query.question));
  id.rows.forEach((row, i) => {
    assert.equal(row.question_id, queries[i].question_id);
    assert.equal(row.question, queries[i].question);
    assert.equal(row.reference_answer, queries[i].reference_answer);
    assert.equal(row.model_answer, given[i].text);
  });
  assert.equal(accuracy[clean.name], slotAccuracy(given.map((answer) => answer.slots), queries.map((query) => query.answerSlots)).accuracy);

  const sources = gridAnswerSources(modelSwap, queries.length, SEED)!;
  const moved = Array.from(sources).filter((source, i) => source !== i).length;
  assert.equal(moved, Math.round(0.6 * queries.length));
  swappedModel.rows.forEach((row, i) => {
    assert.equal(row.model_answer, given[sources[i]].text, `row ${i}: the model's answer of row ${sources[i]}`);
    assert.equal(row.reference_answer, queries[i].reference_answer);
    assert.equal(row.question, queries[i].question);
  });
  assert.equal(accuracy[modelSwap.name], slotAccuracy(Array.from(sources, (source) => given[source].slots), queries.map((query) => query.answerSlots)).accuracy);
  assert.ok(accuracy[modelSwap.name] < accuracy[clean.name], `swapped ${accuracy[modelSwap.name]} vs clean ${accuracy[clean.name]}`);

  // The same seed gives the reference family the same sources; the model's answers stay.
  swappedReference.rows.forEach((row, i) => {
    assert.equal(row.reference_answer, queries[sources[i]].reference_answer);
    assert.equal(row.model_answer, given[i].text);
  });

  // An image shift changes the pixels the model saw (and stored), not the text.
  assert.ok(frosted.rows.every((row, i) => row.question === queries[i].question && row.reference_answer === queries[i].reference_answer));
  const pixels = (image: unknown) => (image as { data: Uint8Array }).data;
  assert.ok(frosted.rows.some((row, i) => Buffer.compare(Buffer.from(pixels(row.image)), Buffer.from(pixels(id.rows[i].image))) !== 0), 'frost changed no image');
});
