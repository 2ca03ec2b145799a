/**
 * The main job's claims on the generated benchmark (small settings so the test takes ~30 s):
 * accuracy falls with severity in each shift family, the bound grows with severity in each
 * family, EMID correlates positively with the bound, and EMI with accuracy. The run is
 * deterministic, so these are checks of the method on real model behaviour, not of luck.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runShiftBenchmark } from '../../src/pipeline/runBenchmark';

test('generated benchmark: accuracy falls and the bound grows with severity; EMID tracks the bound, EMI tracks accuracy', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'emishift-benchmark-'));
  const result = await runShiftBenchmark({ outDir, seed: 2025, trainQueries: 300, splitQueries: 60, modelEpochs: 10 });
  const accuracy = result.accuracy;
  const bound = Object.fromEntries(result.sweep.comparisons.map((comparison) => [comparison.target, comparison.emidUpperBound]));
  assert.ok(accuracy.shift_none > 0.6, `clean accuracy ${accuracy.shift_none}`);
  const families: [string, number[]][] = [
    ['defocus_blur', [1, 3, 5]],
    ['frost', [1, 3, 5]],
    ['gaussian_noise', [1, 3, 5]],
    ['contrast', [1, 3, 5]],
    ['keyboard_typos', [1, 3]],
  ];
  for (const [family, severities] of families) {
    const names = severities.map((severity) => `shift_${family}_${severity}`);
    const accuracies = names.map((name) => accuracy[name]);
    const bounds = names.map((name) => bound[name]);
    assert.ok(accuracy.shift_none >= accuracies[0], `${family}: clean ${accuracy.shift_none} vs ${accuracies}`);
    for (let k = 1; k < names.length; k++) {
      assert.ok(accuracies[k] <= accuracies[k - 1], `${family} accuracy by severity: ${accuracies}`);
      assert.ok(bounds[k] > bounds[k - 1], `${family} bound by severity: ${bounds}`);
    }
  }
  assert.ok((result.results.PearsonR as number) > 0.5, `EMID vs bound r = ${result.results.PearsonR}`);
  const emiAccuracy = result.results.EMI_vs_ACCURACY as { spearman_rho: number; n: number };
  assert.equal(emiAccuracy.n, 43);
  assert.ok(emiAccuracy.spearman_rho > 0.5, `EMI vs accuracy rho = ${emiAccuracy.spearman_rho}`);
  // The results say how they were made: CLUB's preset and settings, each split's embedder and
  // manifest, and every split's real shift family (which colours the figures).
  const provenance = result.results.provenance!;
  assert.equal(provenance.estimator.training?.preset, 'small');
  assert.equal(provenance.estimator.training?.settings.hiddenDim, 64);
  assert.equal(Object.keys(provenance.splits).length, 43);
  for (const [name, split] of Object.entries(provenance.splits)) {
    assert.equal(split.space?.embedder, 'builtin', name);
    assert.match(split.manifest_digest ?? '', /^sha256:/, name);
  }
  const shifts = result.results.SHIFT!;
  assert.equal(Object.keys(shifts).length, 43);
  assert.equal(shifts.shift_none.family, 'none');
  assert.equal(shifts.shift_defocus_blur_5.label, 'defocus blur');
  assert.equal(shifts.shift_defocus_blur_5.severity, 5);
  assert.equal(shifts.shift_frost_1_keyboard_typos_3.modality, 'joint');
  assert.deepEqual(result.results.quality, { key: 'ACCURACY', label: 'accuracy', higher_is_better: true });
  // A rerun reuses the trained model and CLUB and reproduces every number.
  const again = await runShiftBenchmark({ outDir, seed: 2025, trainQueries: 300, splitQueries: 60, modelEpochs: 10 });
  assert.equal(again.modelReused, true);
  assert.equal(again.clubReused, true);
  assert.deepEqual(again.results.EMID, result.results.EMID);
});
