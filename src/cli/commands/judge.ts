import type { Command } from '../main';
import { isPositiveInteger, numberOption, parseCommandArgs, requireOption } from '../args';
import { printJson } from '../output';
import { stderrProgress } from '../progress';
import { SERVER_OPTIONS, SERVER_USAGE, serverOptions } from './collect';
import { SPLIT_OPTIONS, SPLIT_USAGE, loadSplitArgument } from './shared';

const OPTIONS = {
  ...SPLIT_OPTIONS,
  ...SERVER_OPTIONS,
  out: { type: 'string' },
  'text-only': { type: 'boolean' },
  resume: { type: 'boolean' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
} as const;

export const judgeCommand: Command = {
  summary: 'score reference vs model answers with a judge model (LLaVA-Bench review); relative preference',
  usage: [
    'Usage: emishift judge --split FILE [--responses FILE] --out FILE [--base-url URL] [--model M] [--api-key K]',
    '                      [--concurrency N] [--text-only] [--timeout S] [--retries N] [--json]',
    '',
    'The judge scores the reference answer (Assistant 1) and the model answer (Assistant 2) from 1 to 10 for',
    'each question, seeing the image (or, with --text-only, the question alone). Scores are appended to',
    '--out (JSONL, one line per question; resumable as collect). RP = mean model score / mean reference score.',
    ...SPLIT_USAGE,
    ...SERVER_USAGE,
  ].join('\n'),
  async run(argv) {
    const options = parseCommandArgs('judge', argv, OPTIONS);
    const out = requireOption(options.out, 'out', 'judge');
    const concurrency = numberOption(options.concurrency, 'concurrency', isPositiveInteger, 'a positive integer');
    const clientOptions = serverOptions(options);
    const table = await loadSplitArgument('judge', options);
    const { judgeSplit } = await import('../../serve/judge');
    const summary = await judgeSplit(table, {
      outFile: out,
      clientOptions,
      concurrency,
      withImage: !options['text-only'],
      onProgress: stderrProgress('judge', Boolean(options.progress) || Boolean(process.stderr.isTTY)),
    });
    const rp = summary.relativePreference;
    const result = {
      split: table.name,
      out,
      total: summary.total,
      judged: summary.judged,
      skipped: summary.skipped,
      failed: summary.failed,
      relative_preference: rp?.rp ?? null,
      mean_model_score: rp?.meanModelScore ?? null,
      mean_reference_score: rp?.meanReferenceScore ?? null,
      scored: rp?.count ?? 0,
    };
    if (options.json) printJson(result);
    else process.stdout.write(`${table.name}: RP = ${rp ? rp.rp.toFixed(4) : 'n/a'} over ${rp?.count ?? 0} questions (${summary.judged} judged now, ${summary.failed} failed)\n`);
  },
};
