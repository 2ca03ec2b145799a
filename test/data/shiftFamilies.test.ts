import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalShiftFamily, describeShift, NO_SHIFT, shiftFamilyLabel } from '../../src/data/shiftFamilies';
import { scenario, scenarioShift } from '../../src/data/scenarios';

test('family labels are words, never generator tokens', () => {
  assert.equal(shiftFamilyLabel('sr'), 'synonym replacement');
  assert.equal(shiftFamilyLabel('KeyboardAug'), 'keyboard typos');
  assert.equal(shiftFamilyLabel('defocus_blur'), 'defocus blur');
  assert.equal(shiftFamilyLabel('made_up_family'), 'made up family');
  assert.equal(canonicalShiftFamily('sr'), 'synonym_replacement');
});

test('describeShift: none, one family with its unit, or a joint shift with components', () => {
  assert.deepEqual(describeShift([]), NO_SHIFT);
  const blur = describeShift([{ family: 'defocus_blur', severity: 3 }]);
  assert.deepEqual(blur, { family: 'defocus_blur', label: 'defocus blur', modality: 'image', severity: 3, unit: 'ImageNet-C level' });
  const joint = describeShift([
    { family: 'frost', severity: 5 },
    { family: 'sr', severity: 4 },
  ]);
  assert.equal(joint.family, 'frost+synonym_replacement');
  assert.equal(joint.label, 'frost + synonym replacement');
  assert.equal(joint.modality, 'joint');
  assert.equal(joint.severity, null);
  assert.deepEqual(
    joint.components?.map((part) => [part.family, part.severity, part.unit]),
    [
      ['frost', 5, 'ImageNet-C level'],
      ['synonym_replacement', 4, 'tenths of the words replaced'],
    ],
  );
});

test('the paper catalog maps onto shift descriptions', () => {
  assert.deepEqual(scenarioShift(scenario('llava_bench_coco')), NO_SHIFT);
  assert.equal(scenarioShift(scenario('llava_bench_coco_KeyboardAug_3')).label, 'keyboard typos');
  assert.equal(scenarioShift(scenario('llava_bench_coco_KeyboardAug_3')).modality, 'text');
  assert.equal(scenarioShift(scenario('llava_bench_in_the_wild_hard_English')).severity, 3);
  assert.equal(scenarioShift(scenario('llava_bench_in_the_wild_easy_German')).family, 'in_the_wild+translation');
});

test('readSplitTable attaches the catalog shift to a split of the paper benchmark, and none to others', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { readSplitTable } = await import('../../src/data/loaders');
  const dir = mkdtempSync(join(tmpdir(), 'emishift-shift-'));
  const row = JSON.stringify({ question_id: 1, question: 'q', reference_answer: 'r', model_answer: 'm' });
  writeFileSync(join(dir, 'llava_bench_coco_frost_5_sr_7.jsonl'), `${row}\n`);
  writeFileSync(join(dir, 'my_split.jsonl'), `${row}\n`);
  const paper = await readSplitTable(join(dir, 'llava_bench_coco_frost_5_sr_7.jsonl'));
  assert.equal(paper.shift?.label, 'frost + synonym replacement');
  assert.deepEqual(paper.shift?.components?.map((part) => part.severity), [5, 7]);
  assert.equal((await readSplitTable(join(dir, 'my_split.jsonl'))).shift, undefined);
});
