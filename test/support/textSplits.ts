/** Small text-only splits as combined JSONL files, for tests of the CLI's whole-job paths. */
import { writeFileSync } from 'node:fs';

const WORDS = ['red', 'blue', 'circle', 'square', 'left', 'right', 'top', 'two', 'three', 'picture'];

/** A split of `rows` queries whose model answers drift further from the references as `drift` grows. */
export function writeDriftingSplit(file: string, drift: number, rows = 24): void {
  const lines = Array.from({ length: rows }, (_, i) => {
    const reference = `The ${WORDS[i % 10]} ${WORDS[(i * 3) % 10]} is at the ${WORDS[(i * 7) % 10]}.`;
    const answer = drift === 0 ? reference : `${WORDS[(i + drift) % 10]} ${'maybe '.repeat(drift)}${reference.slice(0, Math.max(5, reference.length - 6 * drift))}`;
    const question = `${'Please '.repeat(drift % 2)}What is shown in image ${i}?`;
    return JSON.stringify({ question_id: i, question, reference_answer: reference, model_answer: answer });
  });
  writeFileSync(file, lines.join('\n') + '\n');
}
