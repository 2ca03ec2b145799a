import { defineCommand } from '../command';
import { InputError } from '../../errors';
import { isPositiveInteger, numberOption, requireOption } from '../args';
import { printJson } from '../output';
import { commandProgress } from '../progress';
import { SERVER_OPTIONS, maxConnectionFailuresOption, serverOptions } from './collect';
import { PROGRESS_OPTION, SPLIT_OPTIONS, readSplitArgument } from './shared';

export const judgeCommand = defineCommand({
  name: 'judge',
  summary: 'score reference vs model answers with a judge model (LLaVA-Bench review); relative preference',
  usage: [
    'Usage: emishift judge --split FILE [--responses FILE] --out FILE [--base-url URL] [--model M] [--api-key K]',
    '                      [--concurrency N] [--text-only] [--caption-field NAME] [--rp ratio-of-means|mean-of-ratios]',
    '                      [--timeout S] [--retries N] [--max-connection-failures N]',
    '                      [--json] [--progress]',
    '',
    'The judge scores the reference answer (Assistant 1) and the model answer (Assistant 2) from 1 to 10 for',
    'each question, seeing the image (or, with --text-only, the question alone). Scores are appended to',
    '--out (JSONL, one line per question; resumable as collect). RP = mean model score / mean reference score',
    '(--rp mean-of-ratios: the mean of the per-question ratios).',
  ],
  options: {
    ...SPLIT_OPTIONS,
    out: { type: 'string', value: 'FILE', help: 'the scores (JSONL), appended to' },
    ...SERVER_OPTIONS,
    'text-only': { type: 'boolean', help: 'show the judge the question without the image' },
    'caption-field': {
      type: 'string',
      value: 'NAME',
      sets: ['captionField', 'textFields'],
      help: [
        "the split's column holding each image's caption (a string, or a list of strings joined by",
        "newlines), shown as [Context] with LLaVA-Bench's caption rule; with --text-only, its text-only review",
      ],
    },
    rp: {
      type: 'string',
      value: 'M',
      sets: ['rpMethod'],
      help: [
        'how RP is formed from the scores m_i (model) and r_i (reference) of the n scored questions:',
        'ratio-of-means  (Σ m_i / n) / (Σ r_i / n), LLaVA-Bench\'s summary (default)',
        'mean-of-ratios  (1/n′) Σ m_i / r_i over the n′ questions with r_i ≠ 0, as the published fork;',
        '                the others are counted in zero_reference (the JSON then says rp_method)',
      ],
    },
    resume: { type: 'boolean', help: '(the default) judge only the question_ids not yet scored in --out' },
    json: { type: 'boolean', help: 'print the counts and RP as JSON' },
    ...PROGRESS_OPTION,
  },
  async run(options) {
    const out = requireOption(options.out, 'out', 'judge');
    const concurrency = numberOption(options.concurrency, 'concurrency', isPositiveInteger, 'a positive integer');
    const clientOptions = serverOptions(options);
    const maxConnectionFailures = maxConnectionFailuresOption(options);
    const captionField = options['caption-field'];
    const { judgeSplit, RELATIVE_PREFERENCE_METHODS } = await import('../../serve/judge');
    const rpMethod = options.rp;
    if (rpMethod !== undefined && !(RELATIVE_PREFERENCE_METHODS as readonly string[]).includes(rpMethod)) {
      throw new InputError(`expected ${RELATIVE_PREFERENCE_METHODS.join(' or ')}, got '${rpMethod}'`, { field: '--rp' });
    }
    if (captionField !== undefined && captionField.trim() === '') throw new InputError('expected a column name', { field: '--caption-field' });
    const table = await readSplitArgument('judge', options, captionField === undefined ? {} : { textFields: [captionField] });
    const summary = await judgeSplit(table, {
      captionField,
      rpMethod: rpMethod as import('../../serve/judge').RelativePreferenceMethod | undefined,
      outFile: out,
      clientOptions,
      concurrency,
      withImage: !options['text-only'],
      maxConnectionFailures,
      onProgress: commandProgress('judge', options.progress, { stage: 'judging', unit: 'questions' }),
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
      // Said only when asked for, so the output of a run without these options is unchanged.
      ...(rpMethod !== undefined ? { rp_method: rpMethod, zero_reference: rp?.zeroReferenceIds.length ?? 0 } : {}),
      ...(captionField !== undefined ? { caption_field: captionField } : {}),
    };
    const how = rpMethod === undefined ? '' : ` (${rpMethod.replace(/-/g, ' ')}${rp && rp.zeroReferenceIds.length > 0 ? `; ${rp.zeroReferenceIds.length} questions with reference score 0 left out` : ''})`;
    if (options.json) printJson(result);
    else process.stdout.write(`${table.name}: RP = ${rp ? rp.rp.toFixed(4) : 'n/a'}${how} over ${rp?.count ?? 0} questions (${summary.judged} judged now, ${summary.failed} failed)\n`);
  },
});
