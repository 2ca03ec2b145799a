import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { defineCommand } from '../command';
import { isPositiveInteger, numberOption } from '../args';
import { formatTable, printJson, writeFileAtomic } from '../output';
import { commandProgress } from '../progress';
import { PROGRESS_OPTION } from './shared';

/**
 * Defaults that keep the full run (every task, every registered estimator, CLUB trained once per
 * task and seed) within a few minutes on two shared cores; see the figures in the report of
 * issue 10. Each task's own n and seeds (5000 pairs, 5 seeds) are for longer runs: pass them.
 */
const DEFAULT_N = 2000;
const DEFAULT_SEEDS = 2;
const DEFAULT_OUT = join('out', 'validation');

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((part) => part.trim()).filter((part) => part !== '');
}

export const validateCommand = defineCommand({
  name: 'validate',
  summary: 'check estimators against distributions of known MI (estimate vs truth, bias, SD, RMSE, seconds)',
  usage: [
    'Usage: emishift validate [--tasks A,B] [--estimators A,B] [--n N] [--seeds K] [--out DIR] [--json] [--progress]',
    '',
    'Runs every estimator on every task (one sample per seed, shared by the estimators), prints a table',
    `and writes DIR/validation.json and DIR/validation.html (a self-contained page). Defaults: every task,`,
    `every registered estimator, n = ${DEFAULT_N}, ${DEFAULT_SEEDS} seeds, DIR = ${DEFAULT_OUT}.`,
  ],
  options: {
    tasks: { type: 'string', value: 'A,B', help: 'task names, comma-separated (default: all; e.g. 1v1-normal-0.75,student-identity-2-2-3)', sets: ['tasks'] },
    estimators: { type: 'string', value: 'A,B', help: 'estimator names, comma-separated (default: all registered)', sets: ['estimators'] },
    n: { type: 'string', value: 'N', help: `pairs per sample (default ${DEFAULT_N})`, sets: ['n'] },
    seeds: { type: 'string', value: 'K', help: `samples per task, seeds 0 … K − 1 (default ${DEFAULT_SEEDS})`, sets: ['seeds'] },
    out: { type: 'string', value: 'DIR', help: `where validation.json and validation.html go (default ${DEFAULT_OUT})` },
    json: { type: 'boolean', help: 'print the JSON form instead of the table' },
    ...PROGRESS_OPTION,
  },
  async run(options) {
    const n = numberOption(options.n, 'n', (value) => Number.isInteger(value) && value >= 2, 'a whole number ≥ 2') ?? DEFAULT_N;
    const seeds = numberOption(options.seeds, 'seeds', isPositiveInteger, 'a positive whole number') ?? DEFAULT_SEEDS;
    const { validateEstimators, toValidationJson } = await import('../../estimators');
    const result = await validateEstimators({
      tasks: list(options.tasks),
      estimators: list(options.estimators),
      n,
      seeds,
      onProgress: commandProgress('validate', options.progress, { stage: 'validating', unit: 'estimates' }),
    });
    const { buildValidationReport } = await import('../../report/validationReport');
    const out = options.out ?? DEFAULT_OUT;
    mkdirSync(out, { recursive: true });
    for (const row of result.rows) {
      for (const failure of row.failures) process.stderr.write(`emishift validate: warning: ${row.estimator} on ${row.task} (seed ${failure.seed}) failed: ${failure.message}\n`);
    }
    const json = toValidationJson(result);
    writeFileAtomic(join(out, 'validation.json'), `${JSON.stringify(json, null, 2)}\n`);
    writeFileAtomic(join(out, 'validation.html'), buildValidationReport(result));
    if (options.json) {
      printJson(json);
      return;
    }
    const header = ['estimator', 'task', 'true MI', 'mean estimate', 'bias', 'SD', 'RMSE', 'seconds'];
    const rows = result.rows.map((row) => [row.estimator, row.task, row.trueMi, row.meanEstimate, row.bias, row.sd, row.rmse, row.seconds]);
    process.stdout.write(`${formatTable(header, rows)}\n`);
    process.stdout.write(`${result.rows.length} (estimator, task) pairs, n = ${n}, ${seeds} seeds, ${result.seconds.toFixed(1)} s; wrote ${join(out, 'validation.json')} and ${join(out, 'validation.html')}\n`);
  },
});
