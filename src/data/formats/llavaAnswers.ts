/**
 * LLaVA answer files (`model_vqa*.py` output): JSONL lines `{"question_id", "prompt", "text",
 * "answer_id", "model_id", "metadata"}` where `text` is the model's response. Only
 * `question_id` and `text` are required; the rest is kept as given.
 */
import { InputError } from '../../errors';
import { checkQuestionId, checkText } from './rows';
import { parseJsonLines, readTextFile } from './text';

export interface LlavaAnswer {
  question_id: string | number;
  /** The model's response. */
  text: string;
  prompt?: string;
  answer_id?: string;
  model_id?: string;
  metadata?: unknown;
  /** 1-based line in the answer file (for error messages). */
  line: number;
}

export function parseLlavaAnswers(text: string, file: string): LlavaAnswer[] {
  return parseJsonLines(text, file).map(({ line, value }) => {
    const where = `line ${line}`;
    const missing = ['question_id', 'text'].filter((key) => !(key in value));
    if (missing.length > 0) {
      const hint = 'question' in value && 'reference_answer' in value ? '; this looks like a split file, not a LLaVA answer file' : '';
      throw new InputError(`missing ${missing.join(', ')} (found: ${Object.keys(value).join(', ') || 'none'}); expected LLaVA answer lines {"question_id", "text", ...}${hint}`, {
        file,
        field: where,
      });
    }
    const answer: LlavaAnswer = { question_id: checkQuestionId(value.question_id, file, where), text: checkText(value.text, 'text', file, where), line };
    for (const key of ['prompt', 'answer_id', 'model_id'] as const) {
      if (typeof value[key] === 'string') answer[key] = value[key] as string;
    }
    if (value.metadata !== undefined) answer.metadata = value.metadata;
    return answer;
  });
}

/** Reads a LLaVA answer file (JSONL with question_id, prompt, text, …); bad lines are InputErrors naming the line. */
export function readLlavaAnswers(file: string): LlavaAnswer[] {
  return parseLlavaAnswers(readTextFile(file, 'LLaVA answer lines {"question_id", "prompt", "text", "answer_id", "model_id", "metadata"}'), file);
}
