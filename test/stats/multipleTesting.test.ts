import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benjaminiHochberg } from '../../src/stats/multipleTesting';
import { InputError } from '../../src/errors';

const close = (actual: number[], expected: number[]) => {
  assert.equal(actual.length, expected.length);
  actual.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) < 1e-12, `q[${i}] = ${value}, expected ${expected[i]}`));
};

test('benjaminiHochberg matches scipy on Benjamini and Hochberg’s fifteen p-values', () => {
  // scipy 1.17: false_discovery_control(ps, method='bh') on the 1995 paper's example.
  const ps = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262, 0.5719, 0.6528, 0.759, 1.0];
  close(benjaminiHochberg(ps), [0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.06385714285714286, 0.06385714285714286, 0.0645, 0.0765, 0.486, 0.5811818181818181, 0.714875, 0.7532307692307693, 0.8132142857142857, 1.0]);
});

test('benjaminiHochberg keeps the given order, ties get equal values, and the step-up minimum applies', () => {
  // scipy 1.17: false_discovery_control([0.04, 0.01, 0.03, 0.005, 0.04, 0.9], method='bh').
  close(benjaminiHochberg([0.04, 0.01, 0.03, 0.005, 0.04, 0.9]), [0.048, 0.03, 0.048, 0.03, 0.048, 0.9]);
  // By hand: m = 4, sorted 0.005, 0.01, 0.03, 0.04 → 0.02, 0.02, 0.04, 0.04.
  close(benjaminiHochberg([0.01, 0.04, 0.03, 0.005]), [0.02, 0.04, 0.04, 0.02]);
  close(benjaminiHochberg([0.3]), [0.3]);
  assert.deepEqual(benjaminiHochberg([]), []);
  // Capped at 1, and the step-up minimum carries the largest p-value's value down: m·p/m = p.
  close(benjaminiHochberg([0.9, 0.95, 0.99]), [0.99, 0.99, 0.99]);
  close(benjaminiHochberg([0.6, 0.5]), [0.6, 0.6]);
  close(benjaminiHochberg([0.7, 0.2]), [0.7, 0.4]);
});

test('benjaminiHochberg refuses what is not a p-value', () => {
  assert.throws(() => benjaminiHochberg([0.1, Number.NaN]), (error: unknown) => error instanceof InputError && /p-value 1 is NaN/.test(error.message));
  assert.throws(() => benjaminiHochberg([1.2]), /expected a number in \[0, 1\]/);
});
