import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultShiftGrid, shiftedQueries, splitName } from '../../src/benchmark/splitGrid';
import { generateQueries } from '../../src/benchmark/questions';

test('the default grid: 1 ID + 42 OOD splits with unique names, like the paper\'s synthetic grid plus extras', () => {
  const grid = defaultShiftGrid();
  assert.equal(grid.length, 43);
  assert.equal(new Set(grid.map((spec) => spec.name)).size, 43);
  assert.deepEqual(grid[0], { name: 'shift_none', image: undefined, text: undefined });
  assert.equal(grid.filter((spec) => spec.image && spec.text).length, 24);
  assert.equal(splitName({ name: 'frost', severity: 3 }, { name: 'keyboard_typos', severity: 1 }), 'shift_frost_3_keyboard_typos_1');
});

test('shifted queries keep the queries and change only what the shift names, reproducibly', () => {
  const queries = generateQueries(6, 3);
  const grid = defaultShiftGrid();
  const clean = shiftedQueries(queries, grid[0]);
  const textOnly = shiftedQueries(queries, grid.find((spec) => spec.name === 'shift_keyboard_typos_3')!);
  const imageOnly = shiftedQueries(queries, grid.find((spec) => spec.name === 'shift_frost_5')!);
  assert.deepEqual(clean.map((item) => item.question), queries.map((query) => query.question));
  assert.deepEqual(textOnly.map((item) => item.image.rgba), clean.map((item) => item.image.rgba));
  assert.ok(textOnly.some((item, i) => item.question !== queries[i].question));
  assert.deepEqual(imageOnly.map((item) => item.question), clean.map((item) => item.question));
  assert.ok(imageOnly.every((item, i) => !Buffer.from(item.image.rgba).equals(Buffer.from(clean[i].image.rgba))));
  const again = shiftedQueries(queries, grid.find((spec) => spec.name === 'shift_frost_5')!);
  assert.deepEqual(again.map((item) => item.image.rgba), imageOnly.map((item) => item.image.rgba));
});
