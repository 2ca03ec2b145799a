import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { InputError } from '../../src/errors';
import { createEigenPool } from '../../src/linalg/eigenWorkerPool';
import { symmetricEigenvalues } from '../../src/linalg/symmetricEigenvalues';
import { randomSymmetric } from '../support/synthetic';

/** Runs a script in a fresh node process; resolves with its exit code, or 'timeout'. */
function runScript(source: string, timeoutMs: number): Promise<{ code: number | 'timeout'; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: 'timeout', stdout, stderr });
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const poolModule = JSON.stringify(path.resolve(__dirname, '../../src/linalg/eigenWorkerPool.js'));

describe('eigenWorkerPool', () => {
  const pool = createEigenPool(2);
  after(() => pool.close());

  it('solves 8 matrices in parallel exactly as the synchronous call does', async () => {
    const sizes = [150, 97, 230, 64, 180, 33, 211, 120];
    const matrices = sizes.map((n, i) => randomSymmetric(n, 100 + i));
    const expected = matrices.map((a, i) => symmetricEigenvalues(a, sizes[i]));
    const results = await Promise.all(matrices.map((a, i) => pool.eigenvalues(a, sizes[i])));
    results.forEach((values, i) => assert.deepEqual(values, expected[i], `matrix ${i} (n=${sizes[i]})`));
  });

  it('takes ownership of the matrix by default, and copies when asked not to', async () => {
    const n = 40;
    const owned = randomSymmetric(n, 1);
    const kept = randomSymmetric(n, 1);
    const expected = symmetricEigenvalues(kept, n);
    const [fromOwned, fromKept] = await Promise.all([
      pool.eigenvalues(owned, n),
      pool.eigenvalues(kept, n, { transfer: false }),
    ]);
    assert.equal(owned.length, 0, 'a transferred buffer is detached');
    assert.equal(kept.length, n * n);
    assert.deepEqual(kept, randomSymmetric(n, 1));
    assert.deepEqual(fromOwned, expected);
    assert.deepEqual(fromKept, expected);
  });

  it('sends only the matrix when it is a view into a larger buffer', async () => {
    const n = 30;
    const backing = new Float64Array(n * n + 10);
    const view = backing.subarray(5, 5 + n * n);
    view.set(randomSymmetric(n, 2));
    const values = await pool.eigenvalues(view, n);
    assert.equal(backing.length, n * n + 10, 'the shared backing buffer stays with the caller');
    assert.deepEqual(values, symmetricEigenvalues(view, n));
  });

  it('rejects malformed input with an InputError, from either thread', async () => {
    await assert.rejects(pool.eigenvalues(new Float64Array(3), 2), InputError);
    // Non-finite entries are found by the worker; the error class survives the thread hop.
    await assert.rejects(pool.eigenvalues(new Float64Array([1, 0, Number.POSITIVE_INFINITY, 1]), 2), InputError);
  });

  it('rejects work after close, and close lets the process exit', async () => {
    const script = `
      const { createEigenPool } = require(${poolModule});
      const pool = createEigenPool(2);
      const n = 200;
      const make = (seed) => { const a = new Float64Array(n * n); for (let i = 0; i < n; i++) a[i * n + i] = seed + i; return a; };
      Promise.all([1, 2, 3, 4].map((seed) => pool.eigenvalues(make(seed), n))).then(async (spectra) => {
        const pending = pool.eigenvalues(make(9), n).then(() => 'resolved', () => 'rejected');
        await pool.close();
        const outcome = await pending;
        const after = await pool.eigenvalues(make(1), n).then(() => 'resolved', () => 'rejected');
        console.log(JSON.stringify({ first: spectra[0][0], last: spectra[3][n - 1], outcome, after }));
      });
    `;
    const { code, stdout, stderr } = await runScript(script, 30_000);
    assert.equal(code, 0, `child did not exit cleanly: ${code}\n${stderr}`);
    const report = JSON.parse(stdout.trim());
    assert.deepEqual(report, { first: 1, last: 4 + 199, outcome: 'rejected', after: 'rejected' });
  });

  it('idle workers do not keep the process alive even without close', async () => {
    const script = `
      const { createEigenPool } = require(${poolModule});
      const pool = createEigenPool(2);
      pool.eigenvalues(new Float64Array([2, 1, 1, 2]), 2).then((values) => console.log(Array.from(values).join(',')));
    `;
    const { code, stdout, stderr } = await runScript(script, 30_000);
    assert.equal(code, 0, `child did not exit: ${code}\n${stderr}`);
    const values = stdout.trim().split(',').map(Number);
    assert.ok(Math.abs(values[0] - 1) < 1e-15 && Math.abs(values[1] - 3) < 1e-15, stdout);
  });
});
