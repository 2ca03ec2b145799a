import { defineCommand, type OptionTable } from '../command';
import { isPositive, isPositiveInteger, isNonNegative, numberOption, requireOption } from '../args';
import { printJson } from '../output';
import { commandProgress } from '../progress';
import { PROGRESS_OPTION, SPLIT_OPTIONS, readSplitArgument } from './shared';

/** The chat server options `collect` and `judge` share. */
export const SERVER_OPTIONS = {
  'base-url': {
    type: 'string',
    value: 'URL',
    sets: ['baseUrl'],
    help: ['OpenAI-compatible endpoint including /v1 (vLLM, Ollama, llama.cpp server, hosted APIs);', 'default EMISHIFT_CHAT_BASE_URL, else https://api.openai.com/v1'],
  },
  model: { type: 'string', value: 'M', help: 'the model name (default EMISHIFT_CHAT_MODEL)', sets: ['model'] },
  'api-key': { type: 'string', value: 'K', help: 'the API key (default EMISHIFT_CHAT_API_KEY or OPENAI_API_KEY)', sets: ['apiKey'] },
  concurrency: { type: 'string', value: 'N', help: 'requests in flight (default 4)', sets: ['concurrency'] },
  timeout: { type: 'string', value: 'S', help: 'seconds per attempt (default 120)', sets: ['timeoutMs'] },
  retries: { type: 'string', value: 'N', help: 'retries on 429/5xx/timeouts/connection errors, with backoff (default 5)', sets: ['maxRetries'] },
  'max-connection-failures': {
    type: 'string',
    value: 'N',
    sets: ['maxConnectionFailures'],
    help: [
      'stop the run after N attempts in a row that reached no server (refused,',
      'unresolvable, dropped), counted over all requests (default 5); what was answered stays',
    ],
  },
} as const satisfies OptionTable;

/** --max-connection-failures N, as the run option. */
export function maxConnectionFailuresOption(options: { 'max-connection-failures'?: string }): number | undefined {
  return numberOption(options['max-connection-failures'], 'max-connection-failures', isPositiveInteger, 'a positive integer');
}

/** The chat client's options from the server flags (the rest come from the environment). */
export function serverOptions(options: { 'base-url'?: string; model?: string; 'api-key'?: string; timeout?: string; retries?: string }) {
  const timeout = numberOption(options.timeout, 'timeout', isPositive, 'a positive number of seconds');
  return {
    baseUrl: options['base-url'],
    model: options.model,
    apiKey: options['api-key'],
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    maxRetries: numberOption(options.retries, 'retries', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
  };
}

export const collectCommand = defineCommand({
  name: 'collect',
  summary: "collect a served MLLM's answers to a split (LLaVA answer-file JSONL, resumable)",
  usage: [
    'Usage: emishift collect --split FILE [--image-root DIR] --out FILE [--base-url URL] [--model M] [--api-key K] [--concurrency N]',
    '                        [--prompt TEMPLATE] [--max-tokens N] [--temperature T] [--timeout S] [--retries N]',
    '                        [--max-connection-failures N] [--json] [--progress]',
    '',
    'Sends each image + question as a chat completion and appends the answers to --out in the LLaVA',
    'answer-file format. Resuming is the default (--resume): a rerun asks only for the question_ids not yet',
    'in --out; a crash loses at most the requests in flight and never leaves a damaged line.',
  ],
  options: {
    ...SPLIT_OPTIONS,
    out: { type: 'string', value: 'FILE', help: 'the answer file (LLaVA answer-file JSONL), appended to' },
    ...SERVER_OPTIONS,
    prompt: { type: 'string', value: 'T', help: "text sent with the image; {question} is replaced (default '{question}')", sets: ['prompt'] },
    'max-tokens': { type: 'string', value: 'N', help: 'answer length limit sent to the server', sets: ['maxTokens'] },
    temperature: { type: 'string', value: 'T', help: 'sampling temperature (default 0)', sets: ['temperature'] },
    resume: { type: 'boolean', help: '(the default) ask only for question_ids not yet in --out' },
    json: { type: 'boolean', help: 'print the counts as JSON' },
    ...PROGRESS_OPTION,
  },
  async run(options) {
    const out = requireOption(options.out, 'out', 'collect');
    const concurrency = numberOption(options.concurrency, 'concurrency', isPositiveInteger, 'a positive integer');
    const maxTokens = numberOption(options['max-tokens'], 'max-tokens', isPositiveInteger, 'a positive integer');
    const temperature = numberOption(options.temperature, 'temperature', isNonNegative, 'a number ≥ 0');
    const clientOptions = serverOptions(options);
    const maxConnectionFailures = maxConnectionFailuresOption(options);
    // Collecting needs questions and images only: a LLaVA question file has no reference answers.
    const table = await readSplitArgument('collect', options, { referenceAnswers: 'optional' });
    const { collectResponses } = await import('../../serve/collectResponses');
    const summary = await collectResponses(table, {
      outFile: out,
      clientOptions,
      concurrency,
      prompt: options.prompt,
      maxTokens,
      temperature,
      maxConnectionFailures,
      onProgress: commandProgress('collect', options.progress, { stage: 'asking the model', unit: 'questions' }),
    });
    const result = { split: table.name, out, total: summary.total, answered: summary.answered, skipped: summary.skipped, failed: summary.failed };
    if (options.json) printJson(result);
    else process.stdout.write(`${table.name}: ${summary.answered} answered now, ${summary.skipped} already in ${out}, ${summary.failed} failed\n`);
  },
});
