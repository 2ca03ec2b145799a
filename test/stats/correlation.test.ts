import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors';
import { createRng } from '../../src/random';
import { correlation, kendallTauB, pearson, rank, spearman } from '../../src/stats/correlation';
import { assertAbsolute, assertRelative } from '../support/tolerance';

// 50 correlated pairs rounded to 3 decimals (numpy default_rng(7)); no ties in x or y.
const X50 = [
  0.001, 0.299, -0.274, -0.891, -0.455, -0.992, 0.06, 1.34, -0.492, -0.62, 0.49, 0.357, 0.105, -0.93, -0.029, 0.695,
  -1.344, -0.458, -1.901, -1.29, -1.842, -0.235, -1.267, 0.271, 0.157, -0.187, -2.517, -0.539, -0.049, 0.113, -1.53,
  -0.478, -0.979, -0.809, 1.061, -0.808, -0.033, 0.884, -0.584, -0.112, 0.11, 0.064, -1.225, 0.076, 1.359, -1.547,
  0.859, 0.119, -0.641, 2.0,
];
const Y50 = [
  0.23, -0.061, -0.252, -0.718, -0.512, -0.787, 0.04, 1.54, -0.06, -0.823, 0.551, 0.218, 0.143, -1.286, -0.203, 0.636,
  -1.074, -0.114, -2.298, -1.528, -1.648, -0.833, -1.406, 0.242, 0.534, 0.02, -2.615, -0.65, -0.124, 0.57, -1.658,
  -0.569, -0.873, -0.845, 1.002, -1.142, -0.036, 0.751, -0.234, 0.084, 0.103, 0.265, -1.327, 0.392, 1.357, -1.372,
  0.472, 0.223, -1.147, 1.389,
];

// Ten pairs with ties in both variables.
const TIES_X = [1, 2, 2, 3, 4, 5, 5, 5, 6, 7];
const TIES_Y = [2, 1, 4, 3, 3, 6, 5, 7, 8, 8];

test('pearson: hand-computed values', () => {
  // n = 4: centred x = (−1.5, −.5, .5, 1.5), y = (−1.5, .5, −.5, 1.5) → r = 4/5. With 2 df the
  // two-sided t p-value reduces to 1 − |r|, so p = 0.2.
  const four = pearson([1, 2, 3, 4], [1, 3, 2, 4]);
  assertAbsolute(four.r, 0.8, 1e-14, 'r');
  assertAbsolute(four.pValue, 0.2, 1e-13, 'p');
  assert.equal(four.n, 4);
  // n = 3: r = ½, t = 1/√3 on 1 df (Cauchy): p = 1 − 2·atan(1/√3)/π = 2/3.
  const three = pearson([1, 2, 3], [1, 3, 2]);
  assertAbsolute(three.r, 0.5, 1e-14, 'r');
  assertAbsolute(three.pValue, 2 / 3, 1e-13, 'p');
});

test('pearson: Anscombe quartet I and a strong n = 50 correlation (scipy 1.17.1 pearsonr)', () => {
  // Anscombe (1973) data set I; textbook r = 0.816. Tolerances: 1e-12 for r, 1e-8 relative for p.
  const anscombe = pearson(
    [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5],
    [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68],
  );
  assertAbsolute(anscombe.r, 0.8164205163448395, 1e-12, 'r');
  assertRelative(anscombe.pValue, 0.0021696288730788152, 1e-8, 'p');
  const strong = pearson(X50, Y50);
  assertAbsolute(strong.r, 0.9598889041445805, 1e-12, 'r');
  assertRelative(strong.pValue, 3.698300075973232e-28, 1e-8, 'p');
});

test('pearson: perfect and perfectly anti-correlated data give |r| = 1 and p = 0', () => {
  const x = [1, 2, 3, 4, 5, 6];
  const up = pearson(x, x.map((v) => 2 * v + 1));
  assert.equal(up.r, 1);
  assert.equal(up.pValue, 0);
  const down = pearson(x, x.map((v) => -4 * v + 7));
  assert.equal(down.r, -1);
  assert.equal(down.pValue, 0);
  // A scaling that does not divide exactly still lands within rounding of 1, with r clamped.
  const inexact = pearson(x, x.map((v) => 0.1 * v + 0.3));
  assert.ok(inexact.r <= 1 && 1 - inexact.r < 1e-12, `r = ${inexact.r}`);
  assert.ok(inexact.pValue < 1e-12, `p = ${inexact.pValue}`);
});

test('rank: average ranks for ties (scipy 1.17.1 rankdata)', () => {
  assert.deepEqual(Array.from(rank(TIES_X)), [1, 2.5, 2.5, 4, 5, 7, 7, 7, 9, 10]);
  assert.deepEqual(Array.from(rank(TIES_Y)), [2, 1, 5, 3.5, 3.5, 7, 6, 8, 9.5, 9.5]);
  assert.deepEqual(Array.from(rank([10, 20, 20, 5])), [2, 3.5, 3.5, 1]);
  assert.ok(rank([3, 1, 2]) instanceof Float64Array);
  assert.throws(() => rank([1, NaN]), InputError);
});

test('spearman: hand value, ties, and a strong n = 50 correlation (scipy 1.17.1 spearmanr)', () => {
  // No ties: rho = 1 − 6Σd²/(n(n²−1)) = 1 − 6·4/120 = 0.8. p from scipy; 1e-8 relative.
  const five = spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]);
  assertAbsolute(five.rho, 0.8, 1e-14, 'rho');
  assertRelative(five.pValue, 0.10408803866182788, 1e-8, 'p');
  // Ties in both variables: Pearson on average ranks. 1e-12 for rho, 1e-8 relative for p.
  const tied = spearman(TIES_X, TIES_Y);
  assertAbsolute(tied.rho, 0.9102559809857035, 1e-12, 'rho');
  assertRelative(tied.pValue, 0.0002543577964283746, 1e-8, 'p');
  const strong = spearman(X50, Y50);
  assertAbsolute(strong.rho, 0.9542857142857143, 1e-12, 'rho');
  assertRelative(strong.pValue, 8.007389753587306e-27, 1e-8, 'p');
});

test('spearman: any monotone relation gives |rho| = 1 and p = 0', () => {
  const x = [0.5, 1, 2, 3, 4, 8];
  const up = spearman(x, x.map(Math.exp));
  assert.equal(up.rho, 1);
  assert.equal(up.pValue, 0);
  const down = spearman(x, x.map((v) => -(v ** 3)));
  assert.equal(down.rho, -1);
  assert.equal(down.pValue, 0);
});

test('kendallTauB: small-n exact p-values by hand and from scipy', () => {
  // n = 4 with one discordant pair: tau = (5 − 1)/6 = 2/3; exact p = 2·P(C ≤ 1) = 2·4/24 = 1/3.
  const four = kendallTauB([1, 2, 3, 4], [1, 2, 4, 3]);
  assertAbsolute(four.tau, 2 / 3, 1e-14, 'tau');
  assertAbsolute(four.pValue, 1 / 3, 1e-14, 'p');
  assert.equal(four.pValueMethod, 'exact');
  // n = 5 with two discordant pairs: tau = 0.6; Mahonian counts for n = 5 are 1, 4, 9, … so
  // p = 2·(1 + 4 + 9)/120 = 7/30.
  const five = kendallTauB([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]);
  assertAbsolute(five.tau, 0.6, 1e-14, 'tau');
  assertAbsolute(five.pValue, 7 / 30, 1e-14, 'p');
  // scipy 1.17.1 kendalltau (method 'auto' → exact); 1e-12 for tau, 1e-10 relative for p.
  const ten = kendallTauB([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 3, 2, 5, 4, 7, 6, 9, 8, 10]);
  assertAbsolute(ten.tau, 0.8222222222222222, 1e-12, 'tau');
  assertRelative(ten.pValue, 0.0003576940035273369, 1e-10, 'p');
  // n = 33 is the largest n scipy treats exactly.
  const y33 = [0, 5, 10, 15, 20, 25, 30, 2, 7, 12, 17, 22, 27, 32, 4, 9, 14, 19, 24, 29, 1, 6, 11, 16, 21, 26, 31, 3, 8, 13, 18, 23, 28];
  const n33 = kendallTauB(Array.from({ length: 33 }, (_, i) => i), y33);
  assert.equal(n33.pValueMethod, 'exact');
  assertAbsolute(n33.tau, 0.17803030303030304, 1e-12, 'tau');
  assertRelative(n33.pValue, 0.15061735773454274, 1e-10, 'p');
});

test('kendallTauB: perfect agreement beyond n = 33 still uses the exact tail, like scipy', () => {
  const x = Array.from({ length: 40 }, (_, i) => i);
  // Identity: p = 2/40!; one adjacent swap: p = 2/39! (scipy 1.17.1; 1e-10 relative).
  const identical = kendallTauB(x, x);
  assert.equal(identical.tau, 1);
  assertRelative(identical.pValue, 2.451234878256772e-48, 1e-10, 'p');
  const swapped = x.slice();
  [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
  const oneSwap = kendallTauB(x, swapped);
  assertRelative(oneSwap.pValue, 9.804939513027087e-47, 1e-10, 'p');
  const reversed = kendallTauB(x, x.map((v) => -v));
  assert.equal(reversed.tau, -1);
  assert.equal(reversed.pValueMethod, 'exact');
});

test('kendallTauB: normal approximation without and with ties (scipy 1.17.1 kendalltau)', () => {
  // n = 50 > 33, no ties. 1e-12 for tau, 1e-8 relative for p.
  const strong = kendallTauB(X50, Y50);
  assert.equal(strong.pValueMethod, 'normal');
  assertAbsolute(strong.tau, 0.830204081632653, 1e-12, 'tau');
  assertRelative(strong.pValue, 1.783986859419829e-17, 1e-8, 'p');
  // Ties at small n force the normal approximation with tie-corrected variance.
  const tied = kendallTauB(TIES_X, TIES_Y);
  assert.equal(tied.pValueMethod, 'normal');
  assertAbsolute(tied.tau, 0.7859370885787427, 1e-12, 'tau');
  assertRelative(tied.pValue, 0.002434722997600704, 1e-8, 'p');
  // n = 60, heavy ties (7 and 7 distinct values).
  const x60 = Array.from({ length: 60 }, (_, i) => i % 7);
  // numpy.round(x/2 + (37 i mod 11)/3), written out because numpy rounds halves to even.
  const y60 = [
    0, 2, 4, 2, 4, 6, 4, 2, 4, 2, 4, 2, 4, 6, 0, 2, 4, 2, 4, 6, 4, 2, 0, 2, 4, 2, 4, 6, 1, 2, 4, 2, 4, 2, 4, 3, 1, 3, 4,
    3, 4, 6, 1, 3, 1, 3, 5, 3, 5, 3, 1, 3, 5, 3, 5, 3, 1, 3, 1, 3,
  ];
  const heavy = kendallTauB(x60, y60);
  assertAbsolute(heavy.tau, 0.5606843093493273, 1e-12, 'tau');
  assertRelative(heavy.pValue, 2.7604716722604506e-8, 1e-8, 'p');
});

test('kendallTauB agrees with the O(n²) definition on random tied data', () => {
  const rng = createRng(11);
  const n = 300;
  const x = Array.from({ length: n }, () => rng.int(12));
  const y = x.map((v) => rng.int(8) + (v > 6 ? 3 : 0));
  let score = 0;
  let untiedX = 0;
  let untiedY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i] - x[j]);
      const dy = Math.sign(y[i] - y[j]);
      score += dx * dy;
      if (dx !== 0) untiedX++;
      if (dy !== 0) untiedY++;
    }
  }
  assertAbsolute(kendallTauB(x, y).tau, score / Math.sqrt(untiedX * untiedY), 1e-14);
});

test('correlation dispatches on kind and rejects unknown kinds', () => {
  assert.equal(correlation(X50, Y50, 'pearson').coefficient, pearson(X50, Y50).r);
  assert.equal(correlation(X50, Y50, 'kendall').pValue, kendallTauB(X50, Y50).pValue);
  assert.throws(() => correlation(X50, Y50, 'cosine' as never), InputError);
});

test('bad input throws InputError naming the field', () => {
  for (const fn of [pearson, spearman, kendallTauB]) {
    assert.throws(() => fn([1, 2, 3], [1, 2]), (e: unknown) => e instanceof InputError && e.field === 'y', 'length mismatch');
    assert.throws(() => fn([1, 2], [2, 1]), (e: unknown) => e instanceof InputError && e.field === 'x', 'n < 3');
    assert.throws(() => fn([1, NaN, 3], [1, 2, 3]), (e: unknown) => e instanceof InputError && e.field === 'x', 'NaN in x');
    assert.throws(() => fn([1, 2, 3], [1, 2, NaN]), (e: unknown) => e instanceof InputError && e.field === 'y', 'NaN in y');
    assert.throws(() => fn([4, 4, 4], [1, 2, 3]), (e: unknown) => e instanceof InputError && e.field === 'x', 'constant x');
    assert.throws(() => fn([1, 2, 3], [0, 0, 0]), (e: unknown) => e instanceof InputError && e.field === 'y', 'constant y');
  }
  assert.throws(() => pearson([1, Infinity, 3], [1, 2, 3]), InputError);
  // Rank-based coefficients order infinities like any other value.
  assert.equal(spearman([1, Infinity, 3], [1, 3, 2]).rho, 1);
});
