import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatCoefficient,
  formatInterval,
  formatNumber,
  formatNumberColumn,
  formatPValue,
  formatWith,
  isPValueColumn,
  numberColumnFormat,
} from '../../src/plots/format';
import { FamilyStyles, shiftInfoOf } from '../../src/plots/shift';
import { shiftFamilyLabel as familyWords } from '../../src/data/shiftFamilies';
import { htmlTable, textTable } from '../../src/plots/table';
import { formatNumber as cliNumber, formatPValue as cliPValue, formatTable } from '../../src/cli/output';

test('a column has one format: the largest value gets 4 significant digits, every value the same decimals', () => {
  assert.deepEqual(formatNumberColumn([0.6148, 0.0014, 0.77193]), ['0.6148', '0.0014', '0.7719']);
  assert.deepEqual(formatNumberColumn([2.1516, 0.7482, 1.9]), ['2.152', '0.748', '1.900'], 'a column of values above 1 needs fewer decimals');
  assert.deepEqual(formatNumberColumn([12.5, 3]), ['12.5', '3.0']);
  assert.deepEqual(formatNumberColumn([42, 7, 1000]), ['42', '7', '1000'], 'integers stay integers');
  assert.deepEqual(formatNumberColumn([0.9, 0.0087]), ['0.9000', '0.0087'], 'the smallest value keeps 2 significant digits');
  assert.deepEqual(formatNumberColumn([0.9, 0.000012]), ['0.900000', '0.000012'], 'up to 6 decimals');
  assert.deepEqual(formatNumberColumn([1, null, undefined, 2.5]), ['1.0', '', '', '2.5']);
  assert.deepEqual(formatNumberColumn([0.5, NaN, Infinity]), ['0.5', 'NaN', 'Infinity']);
});

test('no trailing zeros for values that have none: a published 0.579 is 0.579, never 0.5790', () => {
  assert.deepEqual(formatNumberColumn([0.579, 0.739, 0.876, 0.689]), ['0.579', '0.739', '0.876', '0.689']);
  // But a value that does have a 4th decimal keeps it, zero or not.
  assert.deepEqual(formatNumberColumn([0.5790476, 0.739]), ['0.5790', '0.7390']);
  assert.equal(formatNumber(0.579), '0.579');
  assert.equal(formatNumber(1.90900001), '1.909');
  assert.equal(formatNumber(0.1 + 0.2), '0.3', 'float noise is not a digit');
});

test('values that are zero to rounding print as 0, never -4.44e-16', () => {
  assert.deepEqual(formatNumberColumn([0.2984, -4.44e-16, 2.22e-16, 0]), ['0.2984', '0.0000', '0.0000', '0.0000']);
  assert.deepEqual(formatNumberColumn([-4.44e-16, 2.22e-16]), ['0', '0'], 'a column of rounding noise is a column of zeros');
  assert.equal(formatNumber(-4.44e-16), '0');
  assert.equal(formatWith(-0.00001, { kind: 'fixed', decimals: 4, zeroBelow: 0 }), '0.0000', 'no minus on a rounded zero');
  // Relative to the column: 1e-10 is noise beside 10, not beside 1e-9.
  assert.deepEqual(formatNumberColumn([10, 1e-10]), ['10', '0']);
  assert.equal(numberColumnFormat([3e-9, 1e-9]).kind, 'exponential');
});

test('columns of tiny or huge magnitudes use exponent notation with one mantissa length', () => {
  assert.deepEqual(formatNumberColumn([0.00031, 0.000012]), ['3.1e-4', '1.2e-5']);
  assert.deepEqual(formatNumberColumn([0.000315, 0.00001]), ['3.15e-4', '1.00e-5']);
  assert.deepEqual(formatNumberColumn([2.5e7, 1e6]), ['2.5e+7', '1.0e+6']);
});

test('coefficients with 3 decimals; p-values with 3 significant digits, exponent notation below 0.001', () => {
  assert.equal(formatCoefficient(0.80883), '0.809');
  assert.equal(formatCoefficient(-0.0001), '0.000');
  assert.equal(formatPValue(9.146782485950354e-11), '9.15e-11');
  assert.equal(formatPValue(0.0123456), '0.0123');
  assert.equal(formatPValue(0.05), '0.05');
  assert.equal(formatPValue(0.5), '0.5');
  assert.equal(formatPValue(1), '1');
  assert.equal(formatPValue(0.001), '0.001');
  assert.equal(formatPValue(0.00099949), '9.99e-4');
  assert.equal(formatPValue(0), '0');
  assert.equal(formatPValue(NaN), 'NaN');
  // The CLI prints with the very same functions.
  assert.equal(cliPValue, formatPValue);
  assert.equal(cliNumber(0.0087), formatNumber(0.0087));
  assert.equal(formatInterval([1.98012, 2.01901]), '[1.980, 2.019]');
});

test('p-value columns are recognised by name', () => {
  for (const name of ['p-value', 'p', 'PearsonPval', 'spearman_pval', 'p value', 'Pearson p-value']) assert.ok(isPValueColumn(name), name);
  for (const name of ['split', 'pooling', 'EMID', 'jsd_py', 'top', 'mean upper bound']) assert.ok(!isPValueColumn(name), name);
});

test('tables: text left-aligned, numbers right-aligned, in text and HTML alike', () => {
  const table = {
    columns: ['OOD split', 'EMID', 'p-value', 'interval', 'note'],
    rows: [
      ['shift_frost_1', 0.0217, 9.15e-11, [0.01, 0.03] as [number, number], 'ok'],
      ['shift_synonym_replacement_7', 0.7163, 0.0412, [0.7, 0.73] as [number, number], 'a longer note'],
    ],
  };
  const lines = textTable(table).split('\n');
  assert.deepEqual(lines, [
    'OOD split                      EMID   p-value      interval  note',
    'shift_frost_1                0.0217  9.15e-11  [0.01, 0.03]  ok',
    'shift_synonym_replacement_7  0.7163    0.0412  [0.70, 0.73]  a longer note',
  ]);
  const html = htmlTable(table);
  assert.match(html, /<th>OOD split<\/th><th class="num">EMID<\/th><th class="num">p-value<\/th><th class="num">interval<\/th><th>note<\/th>/);
  assert.match(html, /<td>shift_<wbr>frost_<wbr>1<\/td><td class="num">0\.0217<\/td><td class="num">9\.15e-11<\/td><td class="num">\[0\.01, 0\.03\]<\/td><td>ok<\/td>/);
  // Pre-formatted numbers (strings) still align as numbers.
  assert.match(htmlTable({ columns: ['r'], rows: [['0.809'], ['-0.12']] }), /<th class="num">r<\/th>/);
  // A declared format wins over the default.
  assert.match(htmlTable({ columns: ['coefficient'], rows: [[0.80883], [0.5]] }, { columns: { coefficient: { format: 'coefficient' } } }), /<td class="num">0\.809<\/td>[\s\S]*<td class="num">0\.500<\/td>/);
});

test('CLI formatTable: aligned columns with one format each (the run command\'s table)', () => {
  const text = formatTable(
    ['OOD split', 'accuracy', 'EMI', 'EMID', 'EMID_UB', 'jsd_t'],
    [
      ['shift_synonym_replacement_4', 0.24444444, -0.7092, 0.6148, 1.3293, 0.2984],
      ['shift_defocus_blur_1', 0.74444444, -0.1147, 0.0203, 1.0606, -4.440892098500626e-16],
      ['shift_word_order_noise_1', 0.8, -0.0958, 0.0014, 0.7482, 0.0186],
    ],
  );
  assert.deepEqual(text.split('\n'), [
    'OOD split                    accuracy      EMI    EMID  EMID_UB   jsd_t',
    'shift_synonym_replacement_4    0.2444  -0.7092  0.6148    1.329  0.2984',
    'shift_defocus_blur_1           0.7444  -0.1147  0.0203    1.061  0.0000',
    'shift_word_order_noise_1       0.8000  -0.0958  0.0014    0.748  0.0186',
  ]);
  const widths = new Set(text.split('\n').map((line) => line.length));
  assert.equal(widths.size, 1, 'every line ends in the same column: numbers are right-aligned');
});

test('family labels are words, never generator tokens', () => {
  assert.equal(familyWords('sr'), 'synonym replacement');
  assert.equal(familyWords('KeyboardAug'), 'keyboard typos');
  assert.equal(familyWords('defocus_blur'), 'defocus blur');
  assert.equal(familyWords('defocus_blur+KeyboardAug'), 'defocus blur + keyboard typos');
  assert.equal(familyWords('MyNewShift_v2'), 'my new shift v2');
  assert.equal(familyWords('image shift'), 'image shift');
  assert.deepEqual(shiftInfoOf('llava_bench_coco_KeyboardAug_3'), { family: 'keyboard_typos', label: 'keyboard typos', modality: 'text', severity: 3, unit: 'typo level' });
  assert.deepEqual(shiftInfoOf('llava_bench_in_the_wild_easy_English'), { family: 'in_the_wild', label: 'in-the-wild images', modality: 'image', severity: 1, unit: 'difficulty (1 easy, 2 normal, 3 hard)' });
  assert.equal(shiftInfoOf('llava_bench_coco').family, 'none');
  assert.equal(shiftInfoOf('my_split').family, 'other');
});

test('FamilyStyles: Okabe–Ito colours, a marker per family, the same look in every figure', () => {
  const styles = FamilyStyles.fromShifts([
    { family: 'other', label: 'other', modality: 'none' },
    { family: 'sr', label: 'sr', modality: 'text' },
    { family: 'frost', label: 'frost', modality: 'image' },
    { family: 'none', label: 'no shift', modality: 'none' },
  ]);
  assert.deepEqual(styles.order(['none', 'sr', 'other', 'frost']), ['frost', 'sr', 'none', 'other'], 'image, text, ID, other');
  assert.equal(styles.style('frost').colour, '#0072B2');
  assert.equal(styles.style('sr').colour, '#E69F00');
  assert.equal(styles.style('none').symbol, 'star');
  assert.equal(styles.label('sr'), 'synonym replacement');
  const many = new FamilyStyles(Array.from({ length: 42 }, (_, i) => `family_${i}`));
  const looks = new Set(Array.from({ length: 42 }, (_, i) => `${many.style(`family_${i}`).colour} ${many.style(`family_${i}`).symbol}`));
  assert.equal(looks.size, 42, '42 families, 42 distinct colour/marker pairs');
  assert.ok(![...looks].some((look) => look.startsWith('#F0E442')), 'no pale yellow: it vanishes on a light background');
});
