import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as stats from '../../src/stats';

test('index exposes the public surface and not the coefficient-only helpers', () => {
  for (const name of [
    'logGamma', 'logBeta', 'regularizedIncompleteBeta', 'studentTCdf', 'twoSidedStudentTPValue', 'erf', 'erfc',
    'normalCdf', 'twoSidedNormalPValue', 'pearson', 'spearman', 'kendallTauB', 'rank', 'correlation',
    'bootstrapInterval', 'bootstrapCorrelation',
  ]) {
    assert.equal(typeof (stats as Record<string, unknown>)[name], 'function', name);
  }
  assert.equal((stats as Record<string, unknown>).pearsonCoefficient, undefined);
});
