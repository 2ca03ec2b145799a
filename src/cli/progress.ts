/** Progress on stderr: a rewritten line on a terminal, occasional plain lines otherwise. */
import type { ProgressCallback } from '../interface';

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
