/**
 * Collecting a model's answers to a split through an OpenAI-compatible chat endpoint, written in
 * the LLaVA answer-file format so the rest of the toolkit (and LLaVA's own scripts) can read it.
 *
 * Resume is the default and is keyed by question_id: whatever the output file already answers is
 * skipped, so a rerun after a crash, a kill or an abort only asks what is missing. Each answer is
 * appended as it arrives (see appendOnlyJsonl.ts), so an interruption loses only the requests in
 * flight. Lines are in completion order, not table order; readers join on question_id.
 */
import { randomBytes } from 'node:crypto';
import { InputError } from '../errors';
import type { SplitRow, SplitTable } from '../data/splitRow';
import type { ProgressCallback } from '../interface';
import { AppendOnlyJsonl, readJsonl, type FsyncPolicy, type RecordValidator } from './appendOnlyJsonl';
import { checkConcurrency, runBounded } from './concurrency';
import {
  ChatClient,
  ChatRequestError,
  ConnectionWatch,
  type CallOptions,
  imageMimeType,
  imagePart,
  type ChatClientOptions,
  type ChatMessage,
  type ContentPart,
} from './openaiClient';

/** One line of a LLaVA answer file. */
export interface LlavaAnswerRecord {
  question_id: string | number;
  prompt: string;
  text: string;
  answer_id: string;
  model_id: string;
  metadata: Record<string, unknown>;
}

/** What every resumable run against a chat server takes (collection and judging alike). */
export interface ChatRunOptions {
  /** The output file (JSONL); created if absent, appended to (resumed) if present. */
  outFile: string;
  /** A configured client; otherwise one is built from `clientOptions` and the environment. */
  client?: ChatClient | undefined;
  clientOptions?: ChatClientOptions | undefined;
  /** Requests in flight at once. Default 4. */
  concurrency?: number | undefined;
  /** An optional system message. */
  systemPrompt?: string | undefined;
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  /** Sent as the image part's `detail`; omitted by default (not every server accepts it). */
  imageDetail?: 'auto' | 'low' | 'high' | undefined;
  /** Merged into every request body (seed, top_p, ...). */
  extraBody?: Record<string, unknown> | undefined;
  onProgress?: ProgressCallback | undefined;
  /** Aborting stops new requests and cancels those in flight; what was written stays. */
  signal?: AbortSignal | undefined;
  fsync?: FsyncPolicy | undefined;
  /**
   * Consecutive connection failures (attempts that reached no server, across all requests) after
   * which the run stops with a ConnectionFailuresError. Default 5; Infinity never stops.
   */
  maxConnectionFailures?: number | undefined;
}

/** How `collectResponses` asks the model: the run's settings plus the prompt, sampling and the `model_id` it records. */
export interface CollectOptions extends ChatRunOptions {
  /** The text sent with the image: a template where `{question}` is replaced, or a function. Default '{question}'. */
  prompt?: ((string | ((row: SplitRow) => string))) | undefined;
  /** None by default, so the server's chat template decides. */
  systemPrompt?: string | undefined;
  /** Default 0, so answers are as reproducible as the server allows. */
  temperature?: number | undefined;
  /** `model_id` written to the file. Default: the client's model name. */
  modelId?: string | undefined;
}

/** The settings every resumable run passes through unchanged. */
export function runSettings(options: ChatRunOptions, table: SplitTable) {
  return {
    concurrency: options.concurrency ?? 4,
    signal: options.signal,
    onProgress: options.onProgress,
    fsync: options.fsync,
    label: table.name,
    maxConnectionFailures: options.maxConnectionFailures ?? 5,
  };
}

/** Counts of one run over a split. */
export interface RunCounts {
  total: number;
  /** Rows already done in the output file, not sent again. */
  skipped: number;
  failed: number;
  failures: { question_id: string | number; error: string }[];
  /** Records this run appended to the output file (answers, and failures worth keeping). */
  written: number;
  outFile: string;
}

/** What `collectResponses` did: the run's counts and how many answers it added. */
export interface CollectSummary extends RunCounts {
  /** Rows answered and written by this run. */
  answered: number;
}

/** Where a run's records are: "in FILE", or "nothing written to FILE" when neither this run nor an earlier one wrote any. */
function whereWritten(counts: Pick<RunCounts, 'skipped' | 'written' | 'outFile'>): string {
  return counts.written + counts.skipped > 0 ? `in ${counts.outFile}` : `nothing written to ${counts.outFile}`;
}

/** What a run did, in words: "4 answered now, 2 before, in FILE" or "0 answered now, nothing written to FILE". */
export function describeRunCounts(counts: Pick<RunCounts, 'skipped' | 'written' | 'outFile'> & { done: number }, verb: string): string {
  return `${counts.done} ${verb} now${counts.skipped > 0 ? `, ${counts.skipped} before` : ''}, ${whereWritten(counts)}`;
}

/** Thrown at the end of a run in which some rows failed; the successful ones are written. */
export class RunFailuresError<S extends RunCounts = RunCounts> extends Error {
  readonly summary: S;
  /** `what`: the rows' noun ('questions'); `done`: rows this run completed; `verb`: what completing is ('answered'). */
  constructor(what: string, summary: S, done: number, verb: string) {
    const shown = summary.failures.slice(0, 3).map((f) => `question ${String(f.question_id)}: ${f.error}`);
    const more = summary.failures.length > 3 ? `; and ${summary.failures.length - 3} more` : '';
    super(`${summary.failed} of ${summary.total} ${what} failed (${describeRunCounts({ ...summary, done }, verb)}; rerun to retry only the failed ones): ${shown.join('; ')}${more}`);
    this.name = 'RunFailuresError';
    this.summary = summary;
  }
}

/** Thrown when a run stops early on an error every later request would repeat; what was done is written. */
export class RunStoppedError extends Error {
  readonly counts: RunCounts & { done: number };
  constructor(cause: Error, counts: RunCounts & { done: number }, what: string, verb: string) {
    super(`${cause.message}; stopped with ${counts.done} of ${counts.total} ${what} ${verb} now${counts.skipped > 0 ? `, ${counts.skipped} before` : ''}, ${whereWritten(counts)}`, { cause });
    this.name = 'RunStoppedError';
    this.counts = counts;
  }
}

/** A short random id, as LLaVA's shortuuid answer ids are: unique without coordination between runs. */
export function newAnswerId(): string {
  return randomBytes(16).toString('base64url');
}

export function idKey(id: string | number): string {
  return String(id);
}

/** question_ids must be unique: resume and joins key on them. */
export function checkUniqueIds(table: SplitTable): void {
  const seen = new Set<string>();
  table.rows.forEach((row, index) => {
    if (typeof row.question_id !== 'string' && typeof row.question_id !== 'number') {
      throw new InputError(`row ${index} has no question_id`, { file: table.source, field: 'question_id' });
    }
    const key = idKey(row.question_id);
    if (seen.has(key)) throw new InputError(`question_id ${key} appears more than once`, { file: table.source, field: `row ${index}` });
    seen.add(key);
  });
}

interface ResumableJob<R> {
  table: SplitTable;
  /** The rows' noun and what doing one is, for messages: 'questions', 'answered'. */
  what: string;
  verb: string;
  maxConnectionFailures: number;
  outFile: string;
  validate: RecordValidator<R>;
  /** Whether an existing record means its row needs no more work; may throw (e.g. another model's file). */
  isDone: (record: R, lineNumber: number) => boolean;
  idOf: (record: R) => string | number;
  concurrency: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  fsync?: FsyncPolicy;
  label: string;
  /** Does one row; records to append are passed to `write` (success or a failure worth keeping). */
  work: (row: SplitRow, write: (record: R) => void, call: CallOptions) => Promise<{ ok: true } | { ok: false; error: string }>;
}

/**
 * The resume/append/pool loop shared by response collection and judging. Returns the counts.
 * A fatal ChatRequestError (bad key, wrong URL, an endpoint that cannot be reached) stops the
 * run: requests in flight are cancelled and it throws a RunStoppedError saying what was done.
 * Aborting throws the abort reason. In every case the requests in flight settle first, and an
 * output file that did not exist is created only by the first record written.
 */
export async function runResumable<R>(job: ResumableJob<R>): Promise<RunCounts & { done: number }> {
  checkConcurrency(job.concurrency);
  const connectionWatch = new ConnectionWatch(job.maxConnectionFailures);
  const file = AppendOnlyJsonl.open<R>(job.outFile, { validate: job.validate, fsync: job.fsync });
  // One signal for the run's requests: the caller's abort, or a fatal error in any of them.
  const stop = new AbortController();
  const forwardAbort = (): void => stop.abort(job.signal?.reason);
  if (job.signal?.aborted) forwardAbort();
  job.signal?.addEventListener('abort', forwardAbort, { once: true });
  try {
    const done = new Set<string>();
    file.existing.forEach((record, i) => {
      if (job.isDone(record, file.existingLineNumbers[i])) done.add(idKey(job.idOf(record)));
    });
    const pending = job.table.rows.filter((row) => !done.has(idKey(row.question_id)));
    const counts = { total: job.table.rows.length, skipped: job.table.rows.length - pending.length, done: 0, failed: 0, failures: [] as RunCounts['failures'], written: 0, outFile: job.outFile };
    const report = (): void =>
      job.onProgress?.({ done: counts.skipped + counts.done + counts.failed, total: counts.total, label: job.label, completed: counts.done, skipped: counts.skipped, failed: counts.failed });
    report();
    try {
      await runBounded(
        pending,
        job.concurrency,
        async (row) => {
          let outcome: { ok: true } | { ok: false; error: string };
          try {
            outcome = await job.work(
              row,
              (record) => {
                file.append(record);
                counts.written++;
              },
              { signal: stop.signal, connectionWatch },
            );
          } catch (error) {
            if (stop.signal.aborted) throw error;
            if (error instanceof ChatRequestError && !error.fatal) outcome = { ok: false, error: error.message };
            else {
              // Every later request would fail the same way: cancel the ones in flight too.
              stop.abort(error);
              throw error;
            }
          }
          if (outcome.ok) counts.done++;
          else {
            counts.failed++;
            counts.failures.push({ question_id: row.question_id, error: outcome.error });
          }
          report();
        },
        { signal: stop.signal },
      );
    } catch (error) {
      if (error instanceof ChatRequestError && error.fatal && !job.signal?.aborted) throw new RunStoppedError(error, counts, job.what, job.verb);
      throw error;
    }
    return counts;
  } finally {
    job.signal?.removeEventListener('abort', forwardAbort);
    file.close();
  }
}

function renderPrompt(template: CollectOptions['prompt'], row: SplitRow): string {
  if (typeof template === 'function') return template(row);
  return (template ?? '{question}').split('{question}').join(row.question);
}

/** What one row sends: the user content and, for the record, the image's MIME type. */
export function buildQuestionMessages(row: SplitRow, options: Pick<CollectOptions, 'prompt' | 'systemPrompt' | 'imageDetail'> = {}): { messages: ChatMessage[]; prompt: string; imageMime: string | null } {
  const prompt = renderPrompt(options.prompt, row);
  const messages: ChatMessage[] = [];
  if (options.systemPrompt !== undefined) messages.push({ role: 'system', content: options.systemPrompt });
  let imageMime: string | null = null;
  if (row.image !== undefined) {
    const mime = imageMimeType(row.image);
    if (mime === undefined) throw new InputError('image bytes are not PNG, JPEG, GIF, WebP or BMP', { field: `question_id ${String(row.question_id)}` });
    imageMime = mime;
    const content: ContentPart[] = [imagePart(row.image, mime, options.imageDetail), { type: 'text', text: prompt }];
    messages.push({ role: 'user', content });
  } else {
    // A plain string, not a one-part array: text-only servers and templates accept it everywhere.
    messages.push({ role: 'user', content: prompt });
  }
  return { messages, prompt, imageMime };
}

export const validateAnswerRecord: RecordValidator<LlavaAnswerRecord> = (value) => {
  const record = value as Partial<LlavaAnswerRecord>;
  if (typeof record.question_id !== 'string' && typeof record.question_id !== 'number') throw new InputError('has no question_id (string or number)');
  if (typeof record.text !== 'string') throw new InputError(`question_id ${String(record.question_id)} has no "text" string`);
  return record as LlavaAnswerRecord;
};

/** Reads a LLaVA answer file (a torn final line is skipped, a damaged one elsewhere is an InputError). */
export function readAnswerFile(path: string): LlavaAnswerRecord[] {
  return readJsonl(path, { validate: validateAnswerRecord }).records;
}

/** Asks a served model every question of a split and appends its answers to a LLaVA answer file; resumable, and a rerun asks only what is missing. */
export async function collectResponses(table: SplitTable, options: CollectOptions): Promise<CollectSummary> {
  if (typeof options.outFile !== 'string' || options.outFile === '') throw new InputError('an output file is required', { field: 'outFile' });
  if (typeof options.prompt === 'string' && !options.prompt.includes('{question}')) {
    throw new InputError(`template '${options.prompt}' has no {question} placeholder`, { field: 'prompt' });
  }
  checkUniqueIds(table);
  // Build every request first, so a bad image is reported before any request is spent.
  const requests = new Map<SplitRow, ReturnType<typeof buildQuestionMessages>>();
  for (const row of table.rows) {
    if (typeof row.question !== 'string') throw new InputError(`question_id ${String(row.question_id)} has no question text`, { file: table.source, field: 'question' });
    if (row.image !== undefined && row.image.length === 0) throw new InputError(`question_id ${String(row.question_id)} has an empty image`, { file: table.source, field: 'image' });
    try {
      requests.set(row, buildQuestionMessages(row, options));
    } catch (error) {
      if (error instanceof InputError) throw new InputError(error.message, { file: table.source });
      throw error;
    }
  }
  const client = options.client ?? new ChatClient(options.clientOptions);
  const modelId = options.modelId ?? client.model;
  const temperature = options.temperature ?? 0;
  const counts = await runResumable<LlavaAnswerRecord>({
    table,
    outFile: options.outFile,
    validate: validateAnswerRecord,
    idOf: (record) => record.question_id,
    isDone: (record, lineNumber) => {
      // Mixing two models' answers in one file would silently corrupt every later comparison.
      if (typeof record.model_id === 'string' && record.model_id !== modelId) {
        throw new InputError(`holds an answer from model '${record.model_id}', but this run is '${modelId}'; use another output file or set modelId`, {
          file: options.outFile,
          field: `line ${lineNumber}`,
        });
      }
      return true;
    },
    ...runSettings(options, table),
    what: 'questions',
    verb: 'answered',
    work: async (row, write, call) => {
      const request = requests.get(row) as ReturnType<typeof buildQuestionMessages>;
      const result = await client.complete({ messages: request.messages, maxTokens: options.maxTokens, temperature, extraBody: options.extraBody }, call);
      const metadata: Record<string, unknown> = {
        finish_reason: result.finishReason,
        latency_ms: Math.round(result.latencyMs),
        attempts: result.attempts,
        served_model: result.model,
        image_mime: request.imageMime,
        temperature,
        split: table.name,
        created: new Date().toISOString(),
      };
      if (options.maxTokens !== undefined) metadata.max_tokens = options.maxTokens;
      if (result.usage !== undefined) metadata.usage = result.usage;
      write({ question_id: row.question_id, prompt: request.prompt, text: result.text, answer_id: newAnswerId(), model_id: modelId, metadata });
      return { ok: true };
    },
  });
  const { done, ...rest } = counts;
  const summary: CollectSummary = { ...rest, answered: done };
  if (summary.failed > 0) throw new RunFailuresError('questions', summary, summary.answered, 'answered');
  return summary;
}
