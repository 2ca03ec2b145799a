/**
 * A judges' relative-preference file: one CSV row per split and judge, with the split's RP (mean
 * model score / mean reference score over its questions, LLaVA-Bench's review protocol):
 *
 *   split,judge,rp_score[,num_samples]
 *   llava_bench_coco_frost_5,llama,1.1826,90
 */
import { InputError } from '../../errors';
import { parseCsv } from './csv';
import { readTextFile } from './text';

/** One split's RP by one judge. */
export interface RelativePreferenceScore {
  split: string;
  judge: string;
  /** Mean model score / mean reference score. */
  rp: number;
  /** Questions the RP is over, when the file says. */
  samples?: number;
}

const REQUIRED = ['split', 'judge', 'rp_score'] as const;

/** The rows of an RP file's text (see the module comment); every problem names the line. */
export function parseRelativePreferences(text: string, file: string): RelativePreferenceScore[] {
  const [header, ...body] = parseCsv(text, file);
  if (!header) throw new InputError('empty file, expected a CSV header split,judge,rp_score', { file });
  const columns = header.fields.map((name) => name.trim());
  const missing = REQUIRED.filter((name) => !columns.includes(name));
  if (missing.length > 0) throw new InputError(`missing column${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (expected split,judge,rp_score[,num_samples])`, { file, field: `line ${header.line}` });
  if (body.length === 0) throw new InputError('no data rows after the header', { file });
  const at = (name: string) => columns.indexOf(name);
  const seen = new Map<string, number>();
  return body.map(({ line, fields }) => {
    const where = `line ${line}`;
    if (fields.length !== columns.length) throw new InputError(`${fields.length} field${fields.length === 1 ? '' : 's'}, expected ${columns.length} (as in the header)`, { file, field: where });
    const split = fields[at('split')].trim();
    const judge = fields[at('judge')].trim();
    if (split === '' || judge === '') throw new InputError(`empty ${split === '' ? 'split' : 'judge'}`, { file, field: where });
    const rpText = fields[at('rp_score')].trim();
    const rp = Number(rpText);
    if (rpText === '' || !Number.isFinite(rp) || rp < 0) throw new InputError(`rp_score: expected a non-negative number, got '${rpText}'`, { file, field: where });
    const key = `${split}\0${judge}`;
    if (seen.has(key)) throw new InputError(`split '${split}' and judge '${judge}' again (first on line ${seen.get(key)})`, { file, field: where });
    seen.set(key, line);
    const score: RelativePreferenceScore = { split, judge, rp };
    if (at('num_samples') >= 0 && fields[at('num_samples')].trim() !== '') {
      const samplesText = fields[at('num_samples')].trim();
      const samples = Number(samplesText);
      if (!Number.isSafeInteger(samples) || samples <= 0) throw new InputError(`num_samples: expected a positive integer, got '${samplesText}'`, { file, field: where });
      score.samples = samples;
    }
    return score;
  });
}

/** Reads a judges' RP file (`split,judge,rp_score[,num_samples]`); join it to results with `relativePreferenceQuality` and `withQuality`. */
export function readRelativePreferences(file: string): RelativePreferenceScore[] {
  return parseRelativePreferences(readTextFile(file, 'CSV with columns split, judge, rp_score[, num_samples]'), file);
}
