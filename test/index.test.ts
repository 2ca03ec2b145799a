import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

test('the package entry exposes the core API without loading native backends', () => {
  const entry = join(__dirname, '..', 'src', 'index.js');
  const script = `
    const api = require(${JSON.stringify(entry)});
    const names = ['emi', 'emid', 'emidUpperBound', 'rjsd', 'ClubEstimator', 'loadClub', 'trainClub', 'sweepSplits', 'pearson', 'kendallTauB', 'bootstrapInterval', 'emidUpperBoundInterval', 'readNpy', 'loadSplit', 'scenarios', 'toDataFrame', 'embedSplit', 'createEmbedder', 'collectResponses', 'judgeSplit', 'fetchToCache'];
    const missing = names.filter((name) => typeof api[name] !== 'function');
    const loaded = Object.keys(require.cache).filter((file) => /node_modules[/](onnxruntime|@tensorflow|danfojs|@huggingface|hyparquet)/.test(file));
    process.stdout.write(JSON.stringify({ missing, loaded }));
  `;
  const result = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
  assert.deepEqual(result.missing, []);
  assert.deepEqual(result.loaded, []);
});
