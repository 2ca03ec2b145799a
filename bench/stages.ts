/**
 * Where a process's time goes, from V8 CPU profiles of every thread (`node --cpu-prof`): each
 * sample is put in the stage of the innermost frame that names one (reading splits, the native
 * engine's set-up and runs, eigenproblems, …), per thread, and the threads are placed on one
 * time line. Profiles count wall time per thread, so a thread that waits shows as `idle`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A stage and how a frame is recognised as belonging to it (innermost match wins). */
const STAGES: readonly (readonly [stage: string, match: (frame: CallFrame) => boolean])[] = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['native engine: runs', (f) => f.url.endsWith('onnxruntime-node/dist/backend.js') && (f.functionName === 'run' || f.lineNumber === 114)],
  ['native engine: session set-up', (f) => f.functionName === 'OnnxruntimeSessionHandler' || f.functionName === 'createSession'],
  ['native engine: loading ONNX Runtime', (f) => f.functionName === 'initOrt' || f.functionName === 'loadOnnxRuntime'],
  ['native engine: building graphs', (f) => f.functionName === 'toModel' || f.functionName === 'buildBaked' || f.functionName === 'buildModel'],
  ['eigenproblems', (f) => f.functionName === 'symmetricEigenvalues' || f.functionName === 'symmetricEigenvaluesOfWritten'],
  ['mixture matrices', (f) => ['mixtureEntropy', 'writeStackedMixtureGram', 'weightedSum', 'symmetrized'].includes(f.functionName)],
  ['finite checks and query averages', (f) => f.functionName === 'assertFiniteMatrix' || f.functionName === 'averageOfTwo'],
  ['content keys', (f) => f.functionName === 'get contentKey'],
  ['reading splits', (f) => f.functionName === 'readSplitFolder' || f.functionName === 'readSplitFolderAsync'],
  ['reading the CLUB file', (f) => f.functionName === 'loadClubFile'],
  ['messages between threads', (f) => f.functionName === 'postMessage'],
  ['results and output', (f) => ['toResultsJson', 'printJson', 'buildProvenance', 'correlationSummary'].includes(f.functionName)],
  ['start-up and module loading', (f) => f.url.startsWith('node:internal/modules') || f.url.startsWith('node:internal/bootstrap') || f.url.startsWith('node:internal/main')],
];

/** A thread's stages in milliseconds, and where it sits on the process's time line. */
export interface ThreadStages {
  thread: string;
  startMs: number;
  endMs: number;
  stagesMs: Record<string, number>;
}

function threadName(profile: CpuProfile, index: number): string {
  const urls = profile.nodes.map((node) => node.callFrame.url);
  if (urls.some((url) => url.endsWith('sessionHostWorker.js'))) return 'native engine thread';
  if (urls.some((url) => url.endsWith('eigenWorker.js'))) return 'eigen worker';
  return index === 0 ? 'main thread' : 'worker';
}

function stagesOf(profile: CpuProfile): Record<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const memo = new Map<number, string>();
  const stageOf = (id: number): string => {
    const known = memo.get(id);
    if (known) return known;
    let stage = 'other';
    search: for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = (byId.get(current) as ProfileNode).callFrame;
      for (const [name, match] of STAGES) {
        if (match(frame)) {
          stage = name;
          break search;
        }
      }
    }
    memo.set(id, stage);
    return stage;
  };
  const totals: Record<string, number> = {};
  profile.samples.forEach((id, i) => {
    const stage = stageOf(id);
    totals[stage] = (totals[stage] ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000;
  });
  for (const key of Object.keys(totals)) totals[key] = Math.round(totals[key] * 10) / 10;
  return Object.fromEntries(Object.entries(totals).sort((a, b) => b[1] - a[1]));
}

/** The stages of every thread profiled into `directory`, on the main thread's time line. */
export function readStages(directory: string): ThreadStages[] {
  const files = readdirSync(directory)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort();
  const profiles = files.map((name) => JSON.parse(readFileSync(join(directory, name), 'utf8')) as CpuProfile);
  if (profiles.length === 0) return [];
  const origin = profiles[0].startTime;
  return profiles.map((profile, index) => ({
    thread: threadName(profile, index),
    startMs: Math.round((profile.startTime - origin) / 1000),
    endMs: Math.round((profile.endTime - origin) / 1000),
    stagesMs: stagesOf(profile),
  }));
}
