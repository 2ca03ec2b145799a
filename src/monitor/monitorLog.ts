/**
 * The monitoring log: the one module that writes and reads it. A JSONL file, append-only and
 * resumable:
 *
 *   line 1   {"format":"emishift-monitor","version":1,"settings":{…},"reference":{…},"estimator":{…},
 *            "stream":{…},"provenance":{…}}: how every window below was made;
 *   line k+2 window k: {"window":k,"start","end","emi","mi_model","mi_ref","emid","emid_ub",
 *            ["emid_ub_full"],"jsd_v","jsd_t","jsd_py","jsd_qy",["emid_pvalue","jsd_v_pvalue",
 *            "jsd_t_pvalue","emid_ub_pvalue","adjusted_pvalue"],"alert","digest"}.
 *
 * Each line is one write of a whole line (serve/appendOnlyJsonl.ts), so a killed run leaves at
 * most a torn last line, which is cut off when the log is opened again; the windows before it
 * are kept. A rerun checks its settings, reference and estimator against the header (a
 * difference is an InputError naming the option) and each finished window's rows against the
 * stream (its digest), then computes only the windows after the last finished one: nothing is
 * appended when all are done, and a stream that has grown gets its new windows.
 */
import { InputError } from '../errors';
import type { EmbeddingSet, EstimatorDescription, MutualInformationEstimator } from '../interface';
import { AppendOnlyJsonl, readJsonl } from '../serve/appendOnlyJsonl';
import { PERMUTATION_STATISTICS, type PermutationStatistic } from '../significance/permutationTest';
import { monitorProvenance, monitorSettings, monitorStream, type MonitorOptions, type MonitorProvenance, type MonitorResult, type MonitorSettings, type MonitorWindow } from './monitorStream';

export const MONITOR_LOG_FORMAT = 'emishift-monitor';

/** The first line of a monitoring log. */
export interface MonitorLogHeader {
  format: typeof MONITOR_LOG_FORMAT;
  version: 1;
  settings: MonitorSettingsJson;
  reference: MonitorProvenance['reference'];
  estimator: EstimatorDescription;
  /** Where the stream was read from and how many rows it had when the log was started (it may grow). */
  stream: { location: string | null; rows: number };
  provenance: MonitorProvenance & { invocation: { command: string } | { api: string } };
}

/** The settings as the log spells them. */
export interface MonitorSettingsJson {
  window: number;
  step: number;
  permutations: number | null;
  seed: number;
  alpha: number;
  adjust: MonitorSettings['adjust'];
  statistics: PermutationStatistic[];
  mixture: MonitorSettings['mixture'];
  entropy_scale: number | null;
}

/** The log's key of each setting, and the library option it comes from (named in a mismatch error). */
const SETTING_OPTIONS: readonly [keyof MonitorSettingsJson, keyof MonitorSettings, string][] = [
  ['window', 'window', 'window'],
  ['step', 'step', 'step'],
  ['permutations', 'permutations', 'permutations'],
  ['seed', 'seed', 'seed'],
  ['alpha', 'alpha', 'alpha'],
  ['adjust', 'adjust', 'adjust'],
  ['statistics', 'statistics', 'statistics'],
  ['mixture', 'mixture', 'mixture'],
  ['entropy_scale', 'entropyScale', 'entropyScale'],
];

/** The settings in the log's spelling. */
export function toSettingsJson(settings: MonitorSettings): MonitorSettingsJson {
  return {
    window: settings.window,
    step: settings.step,
    permutations: settings.permutations,
    seed: settings.seed,
    alpha: settings.alpha,
    adjust: settings.adjust,
    statistics: [...settings.statistics],
    mixture: settings.mixture,
    entropy_scale: settings.entropyScale,
  };
}

/** One window as a log line (the keys of `emishift pair`'s output where they mean the same). */
export function toMonitorLine(window: MonitorWindow): Record<string, unknown> {
  const line: Record<string, unknown> = {
    window: window.index,
    start: window.start,
    end: window.end,
    emi: window.emi.emi,
    mi_model: window.emi.miModel,
    mi_ref: window.emi.miReference,
    emid: window.emid,
    emid_ub: window.emidUpperBound,
    ...(window.emidUpperBoundFull !== undefined ? { emid_ub_full: window.emidUpperBoundFull } : {}),
    jsd_v: window.terms.jsdV,
    jsd_t: window.terms.jsdT,
    jsd_py: window.terms.jsdPy,
    jsd_qy: window.terms.jsdQy,
  };
  if (window.pValues) {
    for (const name of PERMUTATION_STATISTICS) if (window.pValues[name] !== undefined) line[`${name}_pvalue`] = window.pValues[name];
    line.adjusted_pvalue = window.adjustedPValue;
  }
  line.alert = window.alert;
  line.digest = window.digest;
  return line;
}

function numberAt(value: Record<string, unknown>, key: string): number {
  const entry = value[key];
  if (typeof entry !== 'number' || !Number.isFinite(entry)) throw new InputError(`"${key}" must be a finite number, got ${JSON.stringify(entry)}`);
  return entry;
}

/** A log line back as a window; an InputError names the key that is wrong. */
export function fromMonitorLine(value: unknown): MonitorWindow {
  const line = value as Record<string, unknown>;
  if (line === null || typeof line !== 'object' || !('window' in line)) throw new InputError('is not a window line (no "window" key)');
  const pValues: Partial<Record<PermutationStatistic, number>> = {};
  for (const name of PERMUTATION_STATISTICS) if (line[`${name}_pvalue`] !== undefined) pValues[name] = numberAt(line, `${name}_pvalue`);
  const tested = Object.keys(pValues).length > 0;
  if (line.alert !== null && typeof line.alert !== 'boolean') throw new InputError(`"alert" must be true, false or null, got ${JSON.stringify(line.alert)}`);
  if (typeof line.digest !== 'string') throw new InputError('"digest" must be a string');
  const miModel = numberAt(line, 'mi_model');
  const miReference = numberAt(line, 'mi_ref');
  return {
    index: numberAt(line, 'window'),
    start: numberAt(line, 'start'),
    end: numberAt(line, 'end'),
    emi: { emi: numberAt(line, 'emi'), miModel, miReference },
    emid: numberAt(line, 'emid'),
    emidUpperBound: numberAt(line, 'emid_ub'),
    ...(line.emid_ub_full !== undefined ? { emidUpperBoundFull: numberAt(line, 'emid_ub_full') } : {}),
    terms: { jsdV: numberAt(line, 'jsd_v'), jsdT: numberAt(line, 'jsd_t'), jsdPy: numberAt(line, 'jsd_py'), jsdQy: numberAt(line, 'jsd_qy') },
    ...(tested ? { pValues, adjustedPValue: numberAt(line, 'adjusted_pvalue') } : {}),
    alert: line.alert as boolean | null,
    digest: line.digest,
  };
}

/** Sorted-key JSON, so that two descriptions compare by content. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, entry]) => `${JSON.stringify(key)}:${canonical(entry)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What identifies an estimator across runs: its description, with a file known by its SHA-256 rather than its path. */
function estimatorIdentity(description: EstimatorDescription): string {
  const { file, ...rest } = description;
  return canonical({ ...rest, file: file ? { sha256: file.sha256 } : null });
}

/** The header a run with these settings writes (and a resumed run must match). */
export function monitorLogHeader(
  reference: EmbeddingSet,
  stream: EmbeddingSet,
  estimator: EstimatorDescription,
  settings: MonitorSettings,
  context: { streamLocation?: string | undefined; invocation?: { command: string } | undefined } = {},
): MonitorLogHeader {
  const provenance = monitorProvenance(reference, estimator, settings);
  return {
    format: MONITOR_LOG_FORMAT,
    version: 1,
    settings: toSettingsJson(settings),
    reference: provenance.reference,
    estimator,
    stream: { location: context.streamLocation ?? null, rows: stream.text.rows },
    provenance: { ...provenance, invocation: context.invocation ?? { api: 'monitorToLog' } },
  };
}

/** Refuses a log written with other settings, another reference or another estimator; the error names the option. */
function checkHeader(path: string, found: unknown, expected: MonitorLogHeader): void {
  const header = found as Partial<MonitorLogHeader>;
  if (header?.format !== MONITOR_LOG_FORMAT || header.version !== 1 || typeof header.settings !== 'object' || header.settings === null) {
    throw new InputError(`line 1 is not an ${MONITOR_LOG_FORMAT} header (version 1): not a monitoring log, or one this version cannot read; write to another file`, { file: path });
  }
  for (const [key, , option] of SETTING_OPTIONS) {
    const was = (header.settings as unknown as Record<string, unknown>)[key];
    const now = expected.settings[key];
    if (canonical(was) !== canonical(now)) {
      throw new InputError(`${path} was written with ${key} ${canonical(was)}, this run has ${canonical(now)}: rerun with the log's settings to resume it, or write to another file`, { field: option });
    }
  }
  if (header.reference?.digest !== expected.reference.digest) {
    throw new InputError(`${path} was written against another reference (digest ${String(header.reference?.digest).slice(0, 19)}…, this one ${expected.reference.digest.slice(0, 19)}…): resume with the same reference, or write to another file`, { field: 'reference' });
  }
  if (!header.estimator || estimatorIdentity(header.estimator) !== estimatorIdentity(expected.estimator)) {
    throw new InputError(`${path} was written with another estimator (${header.estimator?.name ?? 'unknown'}${header.estimator?.file ? ` from a file with sha256 ${header.estimator.file.sha256.slice(0, 12)}…` : ''}): resume with the same one, or write to another file`, { field: 'estimator' });
  }
}

/** An open monitoring log: the windows it already holds, and where new ones go. */
export interface MonitorLog {
  readonly path: string;
  /** Windows finished by earlier runs, in order. */
  readonly completed: MonitorWindow[];
  /** A torn last line that opening cut off (bytes), when there was one. */
  readonly tornBytes: number | undefined;
  append(window: MonitorWindow): void;
  close(): void;
}

/**
 * Opens (or starts) a log for a run whose header is `header`: checks an existing header against
 * it, cuts off a torn last line, and reads the finished windows. A new or empty file gets the
 * header at once.
 */
export function openMonitorLog(path: string, header: MonitorLogHeader): MonitorLog {
  const file = AppendOnlyJsonl.open<Record<string, unknown>>(path, { fsync: 'record' });
  try {
    const [first, ...rest] = file.existing;
    if (first === undefined) file.append(header as unknown as Record<string, unknown>);
    else checkHeader(path, first, header);
    const completed = rest.map((line, k) => {
      try {
        return fromMonitorLine(line);
      } catch (error) {
        throw new InputError((error as Error).message, { file: path, field: `line ${file.existingLineNumbers[k + 1]}` });
      }
    });
    return {
      path,
      completed,
      tornBytes: file.repaired?.tornBytes,
      append: (window) => file.append(toMonitorLine(window)),
      close: () => file.close(),
    };
  } catch (error) {
    file.close();
    throw error;
  }
}

/** A log read back (a notebook plots a finished run from it): its header and windows. */
export function readMonitorLog(path: string): { header: MonitorLogHeader; windows: MonitorWindow[] } {
  const { records, lineNumbers } = readJsonl<Record<string, unknown>>(path);
  const [first, ...rest] = records;
  if (first === undefined) throw new InputError('is empty: no monitoring log', { file: path });
  const header = first as unknown as MonitorLogHeader;
  if (header.format !== MONITOR_LOG_FORMAT) throw new InputError(`line 1 is not an ${MONITOR_LOG_FORMAT} header`, { file: path });
  const windows = rest.map((line, k) => {
    try {
      return fromMonitorLine(line);
    } catch (error) {
      throw new InputError((error as Error).message, { file: path, field: `line ${lineNumbers[k + 1]}` });
    }
  });
  return { header, windows };
}

/** Options of `monitorToLog`: `monitorStream`'s (resumption is the log's job) and where the log goes. */
export interface MonitorToLogOptions extends Omit<MonitorOptions, 'completedWindows'> {
  /** The JSONL log; finished windows in it are kept, and only later ones computed. */
  out: string;
  /** Where the stream was read from, for the header. */
  streamLocation?: string | undefined;
  /** What was run (the command line), for the header. */
  invocation?: { command: string } | undefined;
}

/**
 * `monitorStream` with an append-only log: resumes after the log's last finished window (see
 * the module comment), appends each new window as it is finished, and returns every window, the
 * resumed ones included, with `resumed` the number taken from the log.
 */
export async function monitorToLog(reference: EmbeddingSet, stream: EmbeddingSet, estimator: MutualInformationEstimator, options: MonitorToLogOptions): Promise<MonitorResult & { resumed: number; tornBytes: number | undefined }> {
  const { out, streamLocation, invocation, ...monitorOptions } = options;
  const settings = monitorSettings(reference, stream, monitorOptions);
  const log = openMonitorLog(out, monitorLogHeader(reference, stream, estimator.description, settings, { streamLocation, invocation }));
  try {
    const result = await monitorStream(reference, stream, estimator, {
      ...monitorOptions,
      completedWindows: log.completed,
      onWindow: (window) => {
        log.append(window);
        monitorOptions.onWindow?.(window);
      },
    });
    return { ...result, resumed: log.completed.length, tornBytes: log.tornBytes };
  } finally {
    log.close();
  }
}
