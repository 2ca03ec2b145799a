/**
 * Progress on stderr, in two forms:
 * - detailed (on a terminal, or with --progress): every report, as a rewritten line on a
 *   terminal and as a plain line at most every 5 s otherwise;
 * - stages (stderr not a terminal, the default in logs and CI): one line when a stage starts and
 *   one when it ends, e.g. "run: embedding (43 splits)…" and "run: embedding: 43 splits in 3.1 s",
 *   so a log shows what a long job is doing without a line per item.
 */
import type { Progress, ProgressCallback } from '../interface';

/** A detailed progress line for every report (see the module comment); nothing when not enabled. */
export function stderrProgress(task: string, enabled: boolean): ProgressCallback {
  if (!enabled) return () => {};
  let started = Date.now();
  let lastDone = 0;
  let lastTotal = 0;
  let lastPlain = 0;
  return ({ done, total, label }) => {
    // A job reports several stages one after another; each restarts its count, and its own
    // elapsed time is what predicts its remaining time.
    if (done < lastDone || total !== lastTotal) started = Date.now();
    lastDone = done;
    lastTotal = total;
    const seconds = (Date.now() - started) / 1000;
    const eta = done > 0 ? (seconds / done) * (total - done) : 0;
    const text = `${task} ${done}/${total}${label ? ` ${label}` : ''} — ${seconds.toFixed(1)} s elapsed, ~${eta.toFixed(0)} s left`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r\x1b[2K${text}${done === total ? '\n' : ''}`);
    } else if (done === total || Date.now() - lastPlain > 5000) {
      lastPlain = Date.now();
      process.stderr.write(`${text}\n`);
    }
  };
}

/** The stage a report belongs to, when neither it nor the command's default names one: none. */
export interface StageDefaults {
  /** The stage of reports that name none (a present participle: 'comparing', 'training CLUB'). */
  stage?: string;
  /** What `done` counts, plural, when reports do not say. */
  unit?: string;
}

/**
 * One line on stderr when a stage starts (its first report) and one when it ends (done reaches
 * total). Reports without a stage (and no default) are not shown. `write` is stderr by default.
 */
export function stageLines(task: string, defaults: StageDefaults = {}, write: (line: string) => void = (line) => process.stderr.write(line)): ProgressCallback {
  let current: { stage: string; total: number; started: number; ended: boolean } | undefined;
  return (progress: Progress) => {
    const stage = progress.stage ?? defaults.stage;
    if (stage === undefined) return;
    const unit = progress.unit ?? defaults.unit ?? 'steps';
    if (current === undefined || current.stage !== stage || current.total !== progress.total || (current.ended && progress.done < progress.total)) {
      current = { stage, total: progress.total, started: Date.now(), ended: false };
      if (progress.done < progress.total) write(`${task}: ${stage} (${progress.total} ${unit})…\n`);
    }
    if (!current.ended && progress.done >= progress.total) {
      current.ended = true;
      write(`${task}: ${stage}: ${progress.total} ${unit} in ${((Date.now() - current.started) / 1000).toFixed(1)} s\n`);
    }
  };
}

/**
 * The progress a long command reports: detailed with `detailed` (the user's --progress) or on a
 * terminal, else stage lines with `defaults` for reports that name no stage.
 */
export function commandProgress(task: string, detailed: boolean | undefined, defaults: StageDefaults = {}): ProgressCallback {
  return detailed || process.stderr.isTTY ? stderrProgress(task, true) : stageLines(task, defaults);
}
