import type { Command } from '../main';
import { InputError } from '../../errors';
import { parseCommandArgs, requireOption } from '../args';
import { readInputFile } from '../../io/inputFile';
import { formatCoefficient, formatPValue, formatTable, printJson } from '../output';
import { describeEstimator } from '../../sweep/provenance';
import { PROGRESS_USAGE } from './shared';
import { commandProgress } from '../progress';
import type { JobOptions } from '../../pipeline/runJob';
import { CLUB_PRESET_NAMES, isClubPresetName } from '../../estimators/club/clubPresets';

const OPTIONS = { config: { type: 'string' }, json: { type: 'boolean' }, progress: { type: 'boolean' } } as const;

interface RunConfig {
  out?: string;
  id: string;
  splits: { name?: string; file: string; format?: string; responses?: string }[];
  /** CLUB's preset (`small` by default, as `train --preset`) and settings overriding it. */
  club?: { preset?: string; epochs?: number; batchSize?: number; learningRate?: number; hiddenDim?: number; seed?: number; validationFraction?: number };
  /** Instead of `id`/`splits`: the project's own generated benchmark. */
  benchmark?: { data?: string; seed?: number; trainQueries?: number; splitQueries?: number; modelEpochs?: number };
}

function parseConfig(file: string): RunConfig {
  let config: unknown;
  try {
    config = JSON.parse(readInputFile(file).toString('utf8'));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`not valid JSON (${(error as Error).message})`, { file });
  }
  const value = config as Partial<RunConfig>;
  if (typeof value !== 'object' || value === null) throw new InputError('expected a JSON object', { file });
  if (value.club !== undefined) {
    if (typeof value.club !== 'object' || value.club === null) throw new InputError('expected an object such as { "preset": "small" }', { file, field: 'club' });
    if (value.club.preset !== undefined && !isClubPresetName(value.club.preset)) {
      throw new InputError(`expected ${CLUB_PRESET_NAMES.join(' or ')}, got '${String(value.club.preset)}'`, { file, field: 'club.preset' });
    }
  }
  if (value.benchmark !== undefined) {
    if (typeof value.benchmark !== 'object' || value.benchmark === null) throw new InputError('expected an object', { file, field: 'benchmark' });
    return value as RunConfig;
  }
  if (typeof value.id !== 'string') throw new InputError('expected "id": the ID split\'s name', { file, field: 'id' });
  if (!Array.isArray(value.splits) || value.splits.length < 2) throw new InputError('expected "splits": at least two { "file", "responses"?, "name"?, "format"? }', { file, field: 'splits' });
  value.splits.forEach((split, i) => {
    if (typeof split?.file !== 'string') throw new InputError('expected a "file"', { file, field: `splits[${i}]` });
  });
  return value as RunConfig;
}

export const runCommand: Command = {
  summary: 'the whole job from split files: embed, train CLUB, EMI/EMID/bound, correlations, results JSON and HTML report',
  usage: [
    'Usage: emishift run --config FILE [--json] [--progress]',
    '',
    'FILE is JSON: { "id": "<ID split name>", "out": "out/job", "splits": [ { "file": "...", "responses": "...",',
    '"name": "...", "format": "..." }, ... ], "club": { "preset": "small", "epochs": 300, ... } }, or',
    '{ "benchmark": { "data": "<shipped benchmark folder>" | "seed": S, "trainQueries": N, "splitQueries": N } }. Paths are',
    'relative to the config file. Each split is loaded (as `embed --split`), embedded with the built-in',
    'embedder, CLUB is trained on the pooled (query, reference answer) pairs with a named preset (small by',
    'default, or paper: the same presets as `train --preset`; other keys override it), and every split is compared',
    'with the ID split. Writes OUT/embeddings/, OUT/club.safetensors, OUT/results.json and OUT/report.html;',
    'a rerun reuses what has not changed.',
    PROGRESS_USAGE,
  ].join('\n'),
  options: OPTIONS,
  async run(argv) {
    const options = parseCommandArgs('run', argv, OPTIONS);
    const configFile = requireOption(options.config, 'config', 'run');
    const config = parseConfig(configFile);
    const { dirname, resolve } = await import('node:path');
    const base = dirname(resolve(configFile));
    const progress = commandProgress('run', options.progress);
    const invocation = { command: ['emishift', 'run', ...argv].join(' '), config, config_file: configFile };
    if (config.benchmark) {
      const { runShiftBenchmark } = await import('../../pipeline/runBenchmark');
      const { data, ...benchmark } = config.benchmark;
      const result = await runShiftBenchmark({
        outDir: resolve(base, config.out ?? 'out/job'),
        dataDir: data === undefined ? undefined : resolve(base, data),
        ...benchmark,
        club: config.club as JobOptions['club'],
        invocation,
        onProgress: progress,
      });
      report(result, options.json, { accuracy: result.accuracy, model_reused: result.modelReused });
      return;
    }
    const { loadSplitArgument } = await import('./shared');
    const tables = [];
    for (const split of config.splits) {
      tables.push(
        await loadSplitArgument('run', {
          split: /^(hf:|https?:)/.test(split.file) ? split.file : resolve(base, split.file),
          format: split.format,
          responses: split.responses === undefined ? undefined : resolve(base, split.responses),
          name: split.name,
        }),
      );
    }
    const { runJob } = await import('../../pipeline/runJob');
    const result = await runJob(tables, {
      outDir: resolve(base, config.out ?? 'out/job'),
      idSplit: config.id,
      club: config.club as JobOptions['club'],
      invocation,
      warn: (message) => process.stderr.write(`emishift run: warning: ${message}\n`),
      onProgress: progress,
    });
    report(result, options.json, {});
  },
};

function report(result: import('../../pipeline/runJob').JobResult, json: boolean | undefined, extra: { accuracy?: Record<string, number>; model_reused?: boolean }): void {
  {
    const summary = {
      results: result.resultsFile,
      report: result.reportFile,
      splits: Object.keys(result.results.EMI).length,
      club_reused: result.clubReused,
      ...(extra.model_reused !== undefined ? { model_reused: extra.model_reused } : {}),
      pearson_r: result.results.PearsonR,
      pearson_pval: result.results.PearsonPval,
      spearman_rho: result.results.SpearmanRho,
      ...(result.results.EMI_vs_ACCURACY ? { emi_vs_accuracy: result.results.EMI_vs_ACCURACY } : {}),
    };
    if (json) {
      printJson(summary);
      return;
    }
    const accuracy = extra.accuracy;
    const header = accuracy ? ['OOD split', 'accuracy', 'EMI', 'EMID', 'EMID_UB'] : ['OOD split', 'EMID', 'EMID_UB'];
    const rows = result.sweep.comparisons.map((c) => (accuracy ? [c.target, accuracy[c.target], c.targetEmi.emi, c.emid, c.emidUpperBound] : [c.target, c.emid, c.emidUpperBound]));
    process.stdout.write(`${formatTable(header, rows)}\n\n`);
    if (accuracy) process.stdout.write(`ID split accuracy ${accuracy[result.sweep.idSplit].toFixed(3)}, EMI ${result.sweep.emi[result.sweep.idSplit].emi.toFixed(4)}\n`);
    const emiAccuracy = result.results.EMI_vs_ACCURACY as { spearman_rho: number; spearman_pval: number; n: number } | undefined;
    const r = summary.pearson_r;
    const p = summary.pearson_pval;
    process.stdout.write(`EMID vs EMID_UB: Pearson r = ${r == null ? 'n/a' : formatCoefficient(r)} (p = ${p == null ? 'n/a' : formatPValue(p)})\n`);
    if (emiAccuracy) process.stdout.write(`EMI vs accuracy: Spearman rho = ${formatCoefficient(emiAccuracy.spearman_rho)} (p = ${formatPValue(emiAccuracy.spearman_pval)}, ${emiAccuracy.n} splits)\n`);
    process.stdout.write(`${describeEstimator(result.sweep.provenance.estimator)}\n`);
    process.stdout.write(`results: ${summary.results}\nreport: ${summary.report}\n`);
  }
}
