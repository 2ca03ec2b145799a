/**
 * LLM-as-judge scoring in the LLaVA-Bench review protocol, and the relative preference (RP) it
 * yields for a split: mean judge score of the model's answers over mean score of the reference
 * (GPT-4) answers (or, as the published fork forms it, the mean of the per-question ratios: see
 * `RelativePreferenceMethod`). The paper compares EMI with RP per split, so per-question scores
 * are kept.
 *
 * The protocol (LLaVA's eval_gpt_review_bench): a system message asking for a precise quality
 * check; a user message with the visual context, the question, the reference answer as
 * "Assistant 1", the model's answer as "Assistant 2", then a rule asking for one first line with
 * two 1–10 scores (Assistant 1 then 2) followed by an explanation; temperature 0.2 and up to 1024
 * tokens. The original judge was text-only and read captions as the context; a multimodal judge
 * is shown the image instead (`withImage`, the default). Keeping Assistant 1 = reference fixes
 * the position bias in the same direction as the published numbers.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors';
import type { SplitRow, SplitTable } from '../data/splitRow';
import { readJsonl, type RecordValidator } from './appendOnlyJsonl';
import { checkUniqueIds, idKey, RunFailuresError, runResumable, runSettings, type ChatRunOptions, type RunCounts } from './collectResponses';
import { ChatClient, imageMimeType, imagePart, type ChatMessage } from './openaiClient';

export const JUDGE_SYSTEM_PROMPT = 'You are a helpful and precise assistant for checking the quality of the answer.';

const RULE_SCORING =
  'Please rate the helpfulness, relevance, accuracy, level of details of their responses. Each assistant receives an overall score on a scale of 1 to 10, where a higher score indicates better overall performance.\n' +
  'Please first output a single line containing only two values indicating the scores for Assistant 1 and 2, respectively. The two scores are separated by a space.\n' +
  'In the subsequent line, please provide a comprehensive explanation of your evaluation, avoiding any potential bias and ensuring that the order in which the responses were presented does not affect your judgment.';

/** LLaVA-Bench's rule when the judge reads a caption of the image (the original, text-only protocol). */
export const RULE_WITH_CAPTION =
  'We would like to request your feedback on the performance of two AI assistants in response to the user question displayed above. The user asks the question on observing an image. For your reference, the visual content in the image is represented with a few sentences describing the image. \n' +
  RULE_SCORING;

/** The same rule for a multimodal judge that sees the image itself. */
export const RULE_WITH_IMAGE =
  'We would like to request your feedback on the performance of two AI assistants in response to the user question displayed above. The user asks the question on observing an image, which is attached to this message. \n' +
  RULE_SCORING;

/** The rule when there is no visual context at all (text-only splits). */
export const RULE_TEXT_ONLY = 'We would like to request your feedback on the performance of two AI assistants in response to the user question displayed above.\n' + RULE_SCORING;

/** One line of a judge-score file: the judge's two scores for one question, its reply, and how it was obtained. */
export interface JudgeScoreRecord {
  question_id: string | number;
  /** Score of Assistant 1 (the reference answer); null when the reply could not be parsed. */
  reference_score: number | null;
  /** Score of Assistant 2 (the model's answer); null when the reply could not be parsed. */
  model_score: number | null;
  /** The judge's name as recorded (`JudgeOptions.judgeModel`). */
  judge_model: string;
  /** The judge's reply as received. */
  raw_reply: string;
  /** Present on failure records only. */
  error?: string;
  /** How the score was obtained: a hash of the judged input (a rerun refuses a file that scored other inputs), whether the image was shown, attempts, the served model, the split, a timestamp. */
  metadata: Record<string, unknown>;
}

/** How `judgeSplit` asks the judge: the run's settings plus what the judge is shown and the reference script's sampling. */
export interface JudgeOptions extends ChatRunOptions {
  /** Show the judge the image when the row has one. Default true; false for a text-only judge. */
  withImage?: boolean | undefined;
  /** Text describing the image (LLaVA-Bench's captions), shown as [Context]. */
  caption?: ((row: SplitRow) => string) | undefined;
  /** Replaces the rule chosen from what the judge sees. */
  rule?: string | undefined;
  /** Default 1024, as the reference script. */
  maxTokens?: number | undefined;
  /** Default 0.2, as the reference script. */
  temperature?: number | undefined;
  /** New requests after an unparseable reply before the question is recorded as failed. Default 2. */
  parseRetries?: number | undefined;
  /** `judge_model` written to the file. Default: the client's model name. */
  judgeModel?: string | undefined;
  /**
   * The row field (`SplitRow.fields`, kept by the reader's `textFields`) holding each image's
   * caption, shown as [Context] with the caption rule, as LLaVA-Bench's review does. Every row
   * needs a non-empty one. Not together with `caption`.
   */
  captionField?: string | undefined;
  /** How the summary's RP is formed from the scores (see `relativePreference`). Default 'ratio-of-means'. */
  rpMethod?: RelativePreferenceMethod | undefined;
}

/**
 * How per-question scores m_i (model) and r_i (reference) over the n scored questions become a
 * split's RP. 'ratio-of-means' (LLaVA-Bench's summary, and the default): (Σ m_i / n) / (Σ r_i / n).
 * 'mean-of-ratios' (the published fork): (1/n′) Σ m_i / r_i over the n′ questions with r_i ≠ 0,
 * since a ratio to a zero score is undefined; the questions left out are listed.
 */
export type RelativePreferenceMethod = 'ratio-of-means' | 'mean-of-ratios';

/** The RP methods, default first. */
export const RELATIVE_PREFERENCE_METHODS: readonly RelativePreferenceMethod[] = ['ratio-of-means', 'mean-of-ratios'];

/** A split's relative preference (RP), the quality measure EMI is compared with, how it was formed, and the per-question scores it comes from. */
export interface RelativePreference {
  /** The RP under `method`: mean model score / mean reference score, or the mean of the per-question ratios. */
  rp: number;
  /** How `rp` was formed. */
  method: RelativePreferenceMethod;
  /** mean-of-ratios: the questions left out of the mean because their reference score is 0 (empty otherwise). */
  zeroReferenceIds: (string | number)[];
  meanModelScore: number;
  meanReferenceScore: number;
  /** Questions with both scores; the others are left out. */
  count: number;
  /** Per question, aligned: ids, scores and model/reference ratios. */
  questionIds: (string | number)[];
  modelScores: number[];
  referenceScores: number[];
  ratios: number[];
}

/** What `judgeSplit` did: the run's counts, how many rows it scored, and the split's RP. */
export interface JudgeSummary extends RunCounts {
  /** Rows scored and written by this run. */
  judged: number;
  /** RP over every scored row of the table in the file (earlier runs included); absent if none. */
  relativePreference?: RelativePreference;
}

const SCORE = String.raw`(\d+(?:\.\d+)?)`;
const OUT_OF_TEN = /(\d(?:\.\d+)?|10)\s*(?:\/\s*10(?:\.0+)?|out\s+of\s+10)\b/gi;
const LABELLED_LINE = new RegExp(
  String.raw`^[\s*#>_\-]*(?:score\s+(?:for|of)\s+)?assistant\s*([12])\s*(?:'s)?[\s*_]*(?:(?:overall\s+)?(?:score|rating))?[\s*_]*[:=\-–—]?[\s*_]*` + SCORE + String.raw`\s*(?:\/\s*10|out\s+of\s+10)?[\s*_.]*$`,
  'i',
);

function validScore(value: number): boolean {
  return Number.isFinite(value) && value >= 1 && value <= 10;
}

/** Words a score line may carry besides its numbers ("Scores: 8 and 6", "8/10 vs 6/10"). */
const SCORE_LINE_WORDS = /\b(?:assistants?|scores?|scored|ratings?|and|vs|versus|respectively|overall|for|on|a|the|scale|of|out|to)\b/gi;

/**
 * The numbers on a line that reads as a score line, once labels ("Assistant 1"), "/10" and the
 * words above are removed; undefined when other words remain, since then the numbers belong to a
 * sentence ("Assistant 1 gives 3 examples") rather than to scores.
 */
function scoreLineNumbers(line: string): number[] | undefined {
  const cleaned = line
    .replace(/assistant\s*[12]/gi, ' ')
    .replace(OUT_OF_TEN, '$1 ')
    .replace(/\bscale\s+of\s+1\s*(?:-|–|to)\s*10\b/gi, ' ')
    .replace(SCORE_LINE_WORDS, ' ');
  if (/\p{L}/u.test(cleaned)) return undefined;
  return (cleaned.match(/\d+(?:\.\d+)?/g) ?? []).map(Number);
}

/**
 * The two scores of a review: [Assistant 1 (reference), Assistant 2 (model)], or undefined.
 * Accepts the protocol's "8 6" and common drift: "8, 6", "(8, 6)", "8/10 6/10", "Scores: 8 and 6",
 * markdown emphasis, a header line before the scores, and one labelled line per assistant
 * ("Assistant 1: 8\nAssistant 2: 6"). Scores must be in 1–10; anything ambiguous is undefined
 * rather than guessed, because a wrong score is worse than a retried request.
 */
export function parseScorePair(reply: string): [number, number] | undefined {
  const lines = reply.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  for (const line of lines.slice(0, 2)) {
    const numbers = scoreLineNumbers(line);
    if (numbers !== undefined && numbers.length === 2 && numbers.every(validScore)) return [numbers[0], numbers[1]];
    // Only a header without numbers ("Scores:", "Evaluation") may come before the score line.
    if (/\d/.test(line)) break;
  }
  const labelled: (number | undefined)[] = [undefined, undefined];
  for (const line of lines.slice(0, 6)) {
    const match = LABELLED_LINE.exec(line);
    if (match === null) continue;
    const which = Number(match[1]) - 1;
    const value = Number(match[2]);
    if (labelled[which] === undefined) labelled[which] = value;
  }
  const [first, second] = labelled;
  if (first !== undefined && second !== undefined && validScore(first) && validScore(second)) return [first, second];
  return undefined;
}

/** Which rule and context a row gets under the options. */
function reviewParts(row: SplitRow, options: Pick<JudgeOptions, 'withImage' | 'caption' | 'rule'>): { image?: Uint8Array; caption?: string; rule: string } {
  const image = (options.withImage ?? true) && row.image !== undefined && row.image.length > 0 ? row.image : undefined;
  const caption = options.caption?.(row);
  const hasCaption = caption !== undefined && caption.trim() !== '';
  const rule = options.rule ?? (hasCaption ? RULE_WITH_CAPTION : image !== undefined ? RULE_WITH_IMAGE : RULE_TEXT_ONLY);
  return { image, caption: hasCaption ? caption : undefined, rule };
}

/** The judge request for one row: reference answer as Assistant 1, model answer as Assistant 2. */
export function buildReviewMessages(row: SplitRow, options: Pick<JudgeOptions, 'withImage' | 'caption' | 'rule' | 'systemPrompt' | 'imageDetail'> = {}): ChatMessage[] {
  if (row.model_answer === undefined) throw new InputError('has no model_answer to judge', { field: `question_id ${String(row.question_id)}` });
  const { image, caption, rule } = reviewParts(row, options);
  const text =
    (caption !== undefined ? `[Context]\n${caption}\n\n` : '') +
    `[Question]\n${row.question}\n\n` +
    `[Assistant 1]\n${row.reference_answer}\n\n[End of Assistant 1]\n\n` +
    `[Assistant 2]\n${row.model_answer}\n\n[End of Assistant 2]\n\n` +
    `[System]\n${rule}\n\n`;
  const messages: ChatMessage[] = [{ role: 'system', content: options.systemPrompt ?? JUDGE_SYSTEM_PROMPT }];
  if (image === undefined) {
    messages.push({ role: 'user', content: text });
  } else {
    const mime = imageMimeType(image);
    if (mime === undefined) throw new InputError('image bytes are not PNG, JPEG, GIF, WebP or BMP', { field: `question_id ${String(row.question_id)}` });
    messages.push({ role: 'user', content: [imagePart(image, mime, options.imageDetail), { type: 'text', text }] });
  }
  return messages;
}

/**
 * Identifies what was judged, so a resumed file cannot silently mix scores of different answers
 * (or of answers judged with and without a caption). Without a caption it is the hash files
 * written before captions were read hold.
 */
function judgedInputHash(row: SplitRow, caption?: string): string {
  const judged = caption === undefined ? [row.question, row.reference_answer, row.model_answer] : [row.question, row.reference_answer, row.model_answer, caption];
  return createHash('sha256').update(JSON.stringify(judged)).digest('hex').slice(0, 16);
}

/** The caption of every row from `captionField`; a row without a non-empty one is an InputError naming it. */
function captionsOf(table: SplitTable, field: string): Map<SplitRow, string> {
  const captions = new Map<SplitRow, string>();
  for (const row of table.rows) {
    const caption = row.fields?.[field];
    if (caption === undefined) {
      throw new InputError(`question_id ${String(row.question_id)} has no field '${field}' (read the split with textFields: ['${field}'])`, { file: table.source, field: 'captionField' });
    }
    if (caption.trim() === '') throw new InputError(`question_id ${String(row.question_id)}: the caption in '${field}' is empty`, { file: table.source, field: 'captionField' });
    captions.set(row, caption);
  }
  return captions;
}

export const validateJudgeRecord: RecordValidator<JudgeScoreRecord> = (value) => {
  const record = value as Partial<JudgeScoreRecord>;
  if (typeof record.question_id !== 'string' && typeof record.question_id !== 'number') throw new InputError('has no question_id (string or number)');
  for (const field of ['reference_score', 'model_score'] as const) {
    const score = record[field];
    if (score !== null && (typeof score !== 'number' || !Number.isFinite(score))) throw new InputError(`question_id ${String(record.question_id)}: ${field} must be a number or null`);
  }
  return record as JudgeScoreRecord;
};

function isScored(record: JudgeScoreRecord): boolean {
  return typeof record.reference_score === 'number' && typeof record.model_score === 'number';
}

/**
 * The scores in a judge file, one per question: the last scored record of each id, or its last
 * failure record if it was never scored. Order: first appearance in the file.
 */
export function readJudgeScores(path: string): JudgeScoreRecord[] {
  const byId = new Map<string, JudgeScoreRecord>();
  for (const record of readJsonl(path, { validate: validateJudgeRecord }).records) {
    const key = idKey(record.question_id);
    const previous = byId.get(key);
    if (previous === undefined || isScored(record) || !isScored(previous)) byId.set(key, record);
  }
  return [...byId.values()];
}

/**
 * A split's RP over the questions that have both scores, by `method` (see
 * `RelativePreferenceMethod`): by default mean model score / mean reference score. An RP that is
 * undefined (every reference score 0) is an InputError rather than an infinity.
 */
export function relativePreference(
  scores: readonly Pick<JudgeScoreRecord, 'question_id' | 'reference_score' | 'model_score'>[],
  method: RelativePreferenceMethod = 'ratio-of-means',
): RelativePreference {
  if (!RELATIVE_PREFERENCE_METHODS.includes(method)) throw new InputError(`expected ${RELATIVE_PREFERENCE_METHODS.join(' or ')}, got '${String(method)}'`, { field: 'rpMethod' });
  const questionIds: (string | number)[] = [];
  const modelScores: number[] = [];
  const referenceScores: number[] = [];
  for (const score of scores) {
    if (typeof score.model_score !== 'number' || typeof score.reference_score !== 'number') continue;
    questionIds.push(score.question_id);
    modelScores.push(score.model_score);
    referenceScores.push(score.reference_score);
  }
  if (questionIds.length === 0) throw new InputError('no scored questions to compute a relative preference from');
  const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
  const meanModelScore = mean(modelScores);
  const meanReferenceScore = mean(referenceScores);
  const zeroReferenceIds: (string | number)[] = [];
  let rp: number;
  if (method === 'ratio-of-means') {
    if (meanReferenceScore === 0) throw new InputError(`every reference score is 0 (${questionIds.length} questions): the ratio of means is undefined`, { field: 'rpMethod' });
    rp = meanModelScore / meanReferenceScore;
  } else {
    const ratios: number[] = [];
    referenceScores.forEach((reference, i) => {
      if (reference === 0) zeroReferenceIds.push(questionIds[i]);
      else ratios.push(modelScores[i] / reference);
    });
    if (ratios.length === 0) throw new InputError(`every reference score is 0 (${questionIds.length} questions): no ratio to average`, { field: 'rpMethod' });
    rp = mean(ratios);
  }
  return {
    rp,
    method,
    zeroReferenceIds,
    meanModelScore,
    meanReferenceScore,
    count: questionIds.length,
    questionIds,
    modelScores,
    referenceScores,
    ratios: modelScores.map((value, i) => value / referenceScores[i]),
  };
}

/** Scores every reference and model answer of a split with a judge model (the LLaVA-Bench review) and returns the split's relative preference. */
export async function judgeSplit(table: SplitTable, options: JudgeOptions): Promise<JudgeSummary> {
  if (typeof options.outFile !== 'string' || options.outFile === '') throw new InputError('an output file is required', { field: 'outFile' });
  const parseRetries = options.parseRetries ?? 2;
  if (!Number.isInteger(parseRetries) || parseRetries < 0) throw new InputError(`must be a non-negative integer, got ${String(parseRetries)}`, { field: 'parseRetries' });
  checkUniqueIds(table);
  if (options.captionField !== undefined && options.caption !== undefined) throw new InputError('give caption or captionField, not both', { field: 'captionField' });
  const rpMethod = options.rpMethod ?? 'ratio-of-means';
  if (!RELATIVE_PREFERENCE_METHODS.includes(rpMethod)) throw new InputError(`expected ${RELATIVE_PREFERENCE_METHODS.join(' or ')}, got '${String(rpMethod)}'`, { field: 'rpMethod' });
  const captions = options.captionField === undefined ? undefined : captionsOf(table, options.captionField);
  const reviewOptions = captions ? { ...options, caption: (row: SplitRow) => captions.get(row) as string } : options;
  const inputHash = (row: SplitRow) => judgedInputHash(row, captions?.get(row));
  const requests = new Map<SplitRow, ChatMessage[]>();
  const rowsById = new Map<string, SplitRow>();
  for (const row of table.rows) {
    try {
      requests.set(row, buildReviewMessages(row, reviewOptions));
    } catch (error) {
      if (error instanceof InputError) throw new InputError(error.message, { file: table.source });
      throw error;
    }
    rowsById.set(idKey(row.question_id), row);
  }
  const client = options.client ?? new ChatClient(options.clientOptions);
  const judgeModel = options.judgeModel ?? client.model;
  const temperature = options.temperature ?? 0.2;
  const maxTokens = options.maxTokens ?? 1024;
  const counts = await runResumable<JudgeScoreRecord>({
    table,
    outFile: options.outFile,
    validate: validateJudgeRecord,
    idOf: (record) => record.question_id,
    isDone: (record, lineNumber) => {
      const where = { file: options.outFile, field: `line ${lineNumber}` };
      if (typeof record.judge_model === 'string' && record.judge_model !== judgeModel) {
        throw new InputError(`holds a score from judge '${record.judge_model}', but this run's judge is '${judgeModel}'; use another output file`, where);
      }
      if (!isScored(record)) return false;
      const row = rowsById.get(idKey(record.question_id));
      const hash = record.metadata?.input_sha256;
      if (row !== undefined && typeof hash === 'string' && hash !== inputHash(row)) {
        throw new InputError(`scores question_id ${String(record.question_id)} for a different question or answers than this split has; use another output file`, where);
      }
      return true;
    },
    ...runSettings(options, table),
    what: 'reviews',
    verb: 'judged',
    work: async (row, write, call) => {
      const messages = requests.get(row) as ChatMessage[];
      const withImage = messages.some((message) => Array.isArray(message.content) && message.content.some((part) => part.type === 'image_url'));
      let reply = '';
      for (let attempt = 1; attempt <= parseRetries + 1; attempt++) {
        const result = await client.complete({ messages, maxTokens, temperature, extraBody: options.extraBody }, call);
        reply = result.text;
        const metadata: Record<string, unknown> = {
          input_sha256: inputHash(row),
          with_image: withImage,
          ...(options.captionField !== undefined ? { caption_field: options.captionField } : {}),
          finish_reason: result.finishReason,
          latency_ms: Math.round(result.latencyMs),
          attempts: result.attempts,
          parse_attempts: attempt,
          served_model: result.model,
          temperature,
          split: table.name,
          created: new Date().toISOString(),
        };
        const pair = parseScorePair(reply);
        if (pair !== undefined) {
          write({ question_id: row.question_id, reference_score: pair[0], model_score: pair[1], judge_model: judgeModel, raw_reply: reply, metadata });
          return { ok: true };
        }
        if (attempt === parseRetries + 1) {
          const error = `no score pair in the judge's reply after ${attempt} tries`;
          // Kept in the file so the reply can be read; a rerun retries it since it has no scores.
          write({ question_id: row.question_id, reference_score: null, model_score: null, judge_model: judgeModel, raw_reply: reply, error, metadata });
          return { ok: false, error: `${error}: ${JSON.stringify(reply.slice(0, 80))}` };
        }
      }
      throw new Error('unreachable');
    },
  });
  const { done, ...rest } = counts;
  const scored = readJudgeScores(options.outFile).filter((record) => rowsById.has(idKey(record.question_id)) && isScored(record));
  const summary: JudgeSummary = { ...rest, judged: done };
  if (scored.length > 0) summary.relativePreference = relativePreference(scored, rpMethod);
  if (summary.failed > 0) throw new RunFailuresError('reviews', summary, summary.judged, 'judged');
  return summary;
}
