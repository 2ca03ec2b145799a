import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  IN_THE_WILD_EASY_POSITIONS,
  IN_THE_WILD_HARD_POSITIONS,
  NATURAL_DATASET_ID,
  SCENARIOS,
  SYNTHETIC_DATASET_ID,
  idScenario,
  nearScenarioNames,
  responseFileName,
  scenario,
  scenarioNames,
  scenarios,
} from '../../src/data/scenarios';
import { sharedDataPath } from '../support/fixtures';

test('the catalog has 63 splits: 35 synthetic, 28 natural, 61 OOD, unique names', () => {
  assert.equal(SCENARIOS.length, 63);
  assert.equal(new Set(SCENARIOS.map((entry) => entry.name)).size, 63);
  assert.equal(scenarios({ benchmark: 'synthetic' }).length, 35);
  assert.equal(scenarios({ benchmark: 'natural' }).length, 28);
  assert.equal(scenarios({ isId: false }).length, 61);
  assert.deepEqual(scenarioNames({ isId: true }), ['llava_bench_coco', 'llava_bench_coco_English']);
  assert.deepEqual(scenarioNames({ modality: 'none' }), ['llava_bench_coco', 'llava_bench_coco_English']);
  for (const entry of SCENARIOS) {
    assert.equal(entry.isId, entry.modality === 'none', entry.name);
    assert.equal(entry.datasetId, entry.benchmark === 'synthetic' ? SYNTHETIC_DATASET_ID : NATURAL_DATASET_ID);
    assert.equal(entry.idSplit, idScenario(entry.benchmark).name);
  }
});

test('modalities, families and severities per benchmark', () => {
  const count = (filter: Parameters<typeof scenarios>[0]) => scenarios(filter).length;
  // synthetic: 6 visual-only, 4 text-only, 24 joint; natural: 3 visual-only (in-the-wild English), 6 translations, 18 joint
  assert.deepEqual(['visual', 'text', 'joint'].map((modality) => count({ benchmark: 'synthetic', modality: modality as never })), [6, 4, 24]);
  assert.deepEqual(['visual', 'text', 'joint'].map((modality) => count({ benchmark: 'natural', modality: modality as never })), [3, 6, 18]);
  assert.deepEqual(scenarioNames({ modality: 'text', severity: 3 }), ['llava_bench_coco_KeyboardAug_3']);
  assert.deepEqual(scenarioNames({ axis: 'text', severity: 3 }), [
    'llava_bench_coco_KeyboardAug_3',
    ...['defocus_blur_1', 'defocus_blur_3', 'defocus_blur_5', 'frost_1', 'frost_3', 'frost_5'].map((v) => `llava_bench_coco_${v}_KeyboardAug_3`),
  ]);
  // severity 3 on either side: frost_3/defocus_blur_3 (5 each) plus KeyboardAug_3 with other visual levels
  assert.equal(count({ severity: 3 }), 10 + 5);
  assert.deepEqual(scenarioNames({ family: 'frost', severity: 5, modality: 'visual' }), ['llava_bench_coco_frost_5']);
  assert.equal(count({ family: 'sr' }), 14);
  assert.equal(count({ family: 'KeyboardAug', severity: 1 }), 7);
  assert.equal(count({ axis: 'visual', family: 'KeyboardAug' }), 0);
  assert.deepEqual(scenarioNames({ family: 'in_the_wild', severity: 'hard', language: 'Korean' }), ['llava_bench_in_the_wild_hard_Korean']);
  assert.equal(count({ language: 'Hindi' }), 4);
  assert.equal(count({ family: 'translation' }), 24);

  const joint = scenario('llava_bench_coco_defocus_blur_5_sr_7');
  assert.deepEqual(
    [joint.modality, joint.visualFamily, joint.visualSeverity, joint.textFamily, joint.textSeverity, joint.queryCount],
    ['joint', 'defocus_blur', 5, 'sr', 7, 90],
  );
  const easy = scenario('llava_bench_in_the_wild_easy_Arabic');
  assert.deepEqual(
    [easy.modality, easy.visualFamily, easy.visualSeverity, easy.textFamily, easy.textSeverity, easy.language, easy.queryCount],
    ['joint', 'in_the_wild', 'easy', 'translation', null, 'Arabic', 30],
  );
  assert.equal(easy.answerPositions, IN_THE_WILD_EASY_POSITIONS);
  assert.equal(scenario('llava_bench_in_the_wild_hard_English').answerPositions, IN_THE_WILD_HARD_POSITIONS);
  assert.equal(scenario('llava_bench_in_the_wild_normal_English').queryCount, 60);
  assert.equal(scenario('llava_bench_in_the_wild_normal_English').answerPositions, undefined);
  assert.equal(scenario('llava_bench_coco_German').queryCount, 90);
});

test('response file names follow the reference pipeline (in-the-wild subsets share one file)', () => {
  assert.equal(responseFileName('llava_bench_in_the_wild_easy_German', 'llava-v1.5-13b'), 'llava_bench_in_the_wild_German_llava-v1.5-13b.jsonl');
  assert.equal(responseFileName('llava_bench_in_the_wild_normal_German', 'm'), 'llava_bench_in_the_wild_German_m.jsonl');
  assert.equal(responseFileName('llava_bench_coco_frost_1_sr_4', 'm'), 'llava_bench_coco_frost_1_sr_4_m.jsonl');
});

test('an unknown name is an InputError naming the nearest splits', () => {
  assert.throws(() => scenario('llava_bench_coco_frost_2'), (error: Error) => {
    assert.equal(error.name, 'InputError');
    assert.match(error.message, /^scenario: unknown split 'llava_bench_coco_frost_2'; nearest: llava_bench_coco_frost_[135], /);
    return true;
  });
  assert.deepEqual(nearScenarioNames('llava_bench_in_the_wild_hard_korean', 1), ['llava_bench_in_the_wild_hard_Korean']);
});

test('catalog names match the shared synthetic files and the published results keys', (t) => {
  const synthetic = sharedDataPath('llavabench-shift-text', 'synthetic');
  const results = sharedDataPath('official-results');
  if (!synthetic.path || !results.path) return t.skip(synthetic.skipReason ?? results.skipReason);
  const files = readdirSync(synthetic.path).filter((name) => name.endsWith('.jsonl')).map((name) => name.replace(/\.jsonl$/, ''));
  assert.deepEqual([...files].sort(), scenarioNames({ benchmark: 'synthetic' }).sort());

  const resultFiles = readdirSync(results.path).filter((name) => name.endsWith('.json'));
  assert.equal(resultFiles.length, 4);
  for (const name of resultFiles) {
    const json = JSON.parse(readFileSync(join(results.path, name), 'utf8')) as { ds_id: string; EMI: object; EMID: object; EMID_UB: object };
    const benchmark = name.includes('NATURAL') ? 'natural' : 'synthetic';
    assert.equal(json.ds_id, benchmark === 'natural' ? NATURAL_DATASET_ID : SYNTHETIC_DATASET_ID, name);
    // Same names in the same order as the reference pipeline wrote them.
    assert.deepEqual(Object.keys(json.EMI), scenarioNames({ benchmark }), name);
    assert.deepEqual(Object.keys(json.EMID), scenarioNames({ benchmark, isId: false }), name);
    assert.deepEqual(Object.keys(json.EMID_UB), scenarioNames({ benchmark, isId: false }), name);
  }
});
