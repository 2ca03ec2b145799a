/**
 * `npm run bench`: prints one JSON object with
 * - sweep: the whole `emishift sweep` process (start-up included) on a 35-split grid at
 *   n = 90 (the benchmark's real size; median of 5 runs after a warm-up), n = 1000 (best of 3),
 *   and n = 10,000 (with peak resident memory), against the reference implementation's times and
 *   the targets (n = 90 ≤ 0.35 s, n = 1000 ≤ 6 s); and at n = 90 once
 *   more with no matrix shared between splits (the spectrum cache's worst case). For n = 90 and
 *   n = 1000, `stages` says where the time goes: one more run under `node --cpu-prof`, its
 *   samples put in stages per thread (main, native engine, eigen workers; see stages.ts), and
 *   `cpu_seconds_median` the process's CPU time (`cpu_seconds_per_core`, that over the cores, is
 *   the least wall time the same work could take here);
 *   `machine` says what ran them: cores, CPU model, clock and vector extensions, Node's own
 *   start-up (`node_startup_seconds`, and without the certificate file of NODE_EXTRA_CA_CERTS
 *   where the environment names one) and, with `--only sweep`, CLUB's forward pass at n = 90
 *   (`club_forward_n90`: rows/s and GFLOP/s), the GEMM speed behind the sweep's longest thread;
 * - train: `emishift train` throughput at batch 2048 (768 → 250 → 768), native and tfjs engines;
 * - eigen / onnx_club: the kernels behind them;
 * - neural: training throughput of the neural variational estimators, per family (bench/neural.ts);
 * - ksg: KSG estimators 1 and 2 at n = 10,000 and 100,000 (5 + 5 dimensions, k = 3; see ksg.ts);
 * - pointwise: pointwise EMI against the set estimate at n = 90, 768-d, the paper's CLUB, and
 *   detectShift on two such splits (see pointwise.ts).
 * - baselines: the drift baselines on one n = 90, 768-d pair and in the 34-split sweep (see baselines.ts).
 * - monitor: one monitoring window of 500 rows with 200 permutations (target < 2 s; see monitor.ts).
 * - question_files: reading question files whose images are paths (bench/questionFiles.ts).
 * - permutations: permutation tests at n = 90 (one split's EMID, and the 34-split sweep with all
 *   four statistics, 1,000 permutations each; see permutations.ts).
 * - pretrained: the `pretrained` embedder's sentences/s and images/s (see pretrained.ts).
 * - job (only with `--only job [--embedder NAME]`): `npm start` into an empty folder and its rerun, wall and CPU seconds (see job.ts).
 * - encoders (only with --only encoders; minutes, not part of the full run): the image encoder
 *   choice of bench/encoderChoice.ts on 16 scenes, with its answer probe, for builtin, mid, small
 *   and CenterNet (when EMISHIFT_CENTERNET_DIR names its folder; else reported as skipped).
 * Options: --only sweep (the n = 90 and n = 1000 sweeps alone), ksg, pointwise, baselines, monitor, questions, permutations, pretrained, job or encoders runs only those cases; --quick skips n = 10,000 (and KSG at 100,000); --data DIR keeps the generated splits there (default: the
 * system temp folder; they are reused across runs).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpyMatrix } from '../src/io/npy';
import { saveClub } from '../src/estimators/club/clubFile';
import { initClubParameters } from '../src/estimators/club/clubModel';
import { createRng } from '../src/random';
import { runEigenBenchmark } from './eigen';
import { clubForwardAtSweepSize, runOnnxClubBenchmark } from './onnxClub';
import { runNeuralBenchmark } from './neural';
import { runKsgBenchmark } from './ksg';
import { runPointwiseBenchmark } from './pointwise';
import { runBaselinesBenchmark } from './baselines';
import { runMonitorBenchmark } from './monitor';
import { runQuestionFileBenchmark } from './questionFiles';
import { runPermutationBenchmark } from './permutations';
import { runPretrainedBenchmark } from './pretrained';
import { runJobBenchmark } from './job';
import { runEncoderChoice } from './encoderChoice';
import { ensureSweepData } from './sweepData';
import { median } from './median';
import { readStages, type ThreadStages } from './stages';

const BIN = join(__dirname, '..', '..', 'bin', 'emishift.js');
/**
 * The PyTorch reference's sweep times, measured once on an earlier 2-core development machine:
 * PyTorch cannot be installed here (no package index but npm's), so they are not re-measured,
 * and `speedup_vs_reference` holds only for hardware like that machine's (`machine` says what
 * this one is; `club_forward_n90` its GEMM speed).
 */
const REFERENCE_SECONDS: Record<number, number> = { 90: 17.7, 1000: 351 };
const TARGET_SECONDS: Record<number, number> = { 90: 0.35, 1000: 6 };

interface ProcessRun {
  seconds: number;
  /** User + system CPU time of the whole process, every thread and its exit included (Linux only). */
  cpuSeconds: number | undefined;
  peakRssMb: number;
  stdout: string;
}

/**
 * CPU time of this process's children that have been waited for (Linux's cutime + cstime, in
 * ticks of 1/100 s), or undefined where there is no /proc. The bench runs one child at a time,
 * so the difference across a run is that run's CPU time, which a sampler of the running child
 * would undercount by its last moments.
 */
function reapedChildrenCpuSeconds(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name (which may hold spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100;
  return (Number(fields[16 - 3]) + Number(fields[17 - 3])) / ticksPerSecond;
}

/** Runs a command, sampling its peak resident set (VmHWM) from /proc while it lives. */
function runMeasured(args: string[], nodeOptions: string[] = []): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const cpuBefore = reapedChildrenCpuSeconds();
    const child = spawn(process.execPath, [...nodeOptions, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    const sample = () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const match = /VmHWM:\s+(\d+) kB/.exec(status);
        if (match) peakKb = Math.max(peakKb, Number(match[1]));
      } catch {
        // the process has exited
      }
    };
    const timer = setInterval(sample, 10);
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      const cpuAfter = reapedChildrenCpuSeconds();
      const cpuSeconds = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
      if (code !== 0) reject(new Error(`emishift ${args[0]} exited ${code}: ${stderr}`));
      else resolve({ seconds, cpuSeconds, peakRssMb: Math.round(peakKb / 1024), stdout });
    });
  });
}

async function benchmarkSweep(dataRoot: string, club: string, rows: number, repeats: number, layout: 'grid' | 'unique' = 'grid'): Promise<object> {
  const root = join(dataRoot, `${layout}-n${rows}`);
  const generated = performance.now();
  const id = ensureSweepData(root, rows, 768, layout);
  const generateSeconds = (performance.now() - generated) / 1000;
  const args = ['sweep', '--root', root, '--id', id, '--club', club, '--json'];
  // A warm-up run first (page cache, lazily compiled code on disk), as the figures were taken.
  if (repeats > 1) await runMeasured(args);
  const runs: ProcessRun[] = [];
  for (let r = 0; r < repeats; r++) runs.push(await runMeasured(args));
  const result = JSON.parse(runs[0].stdout) as { EMID: Record<string, number>; eigenproblems?: unknown };
  const seconds = runs.map((run) => run.seconds);
  const cpuTimes = runs.map((run) => run.cpuSeconds);
  const cpuSeconds = cpuTimes.includes(undefined) ? undefined : median(cpuTimes as number[]);
  const stages = layout === 'grid' && rows <= 1000 ? await profiledStages(args) : undefined;
  return {
    layout,
    rows,
    dim: 768,
    splits: Object.keys(result.EMID).length + 1,
    pairs: Object.keys(result.EMID).length,
    runs: repeats,
    seconds_median: Number(median(seconds).toFixed(3)),
    seconds_min: Number(Math.min(...seconds).toFixed(3)),
    // The work's CPU time spread evenly over every core: no schedule on this machine finishes it sooner.
    ...(cpuSeconds === undefined ? {} : { cpu_seconds_median: Number(cpuSeconds.toFixed(2)), cpu_seconds_per_core: Number((cpuSeconds / availableParallelism()).toFixed(3)) }),
    ...(stages ? { stages } : {}),
    peak_rss_mb: Math.max(...runs.map((run) => run.peakRssMb)),
    eigenproblems: result.eigenproblems,
    ...(REFERENCE_SECONDS[rows] ? { reference_seconds: REFERENCE_SECONDS[rows], speedup_vs_reference: Number((REFERENCE_SECONDS[rows] / median(seconds)).toFixed(1)) } : {}),
    ...(TARGET_SECONDS[rows] ? { target_seconds: TARGET_SECONDS[rows], target_measure: rows === 90 ? 'median' : 'best', meets_target: (rows === 90 ? median(seconds) : Math.min(...seconds)) <= TARGET_SECONDS[rows] } : {}),
    ...(rows === 10000 ? { target_peak_rss_mb: 2048, meets_target: Math.max(...runs.map((run) => run.peakRssMb)) < 2048 } : {}),
    data_generation_seconds: Number(generateSeconds.toFixed(1)),
  };
}

/** One more run under the CPU profiler: every thread's time by stage (see stages.ts), in milliseconds. */
async function profiledStages(args: string[]): Promise<{ process_seconds: number; threads: ThreadStages[] }> {
  const directory = mkdtempSync(join(tmpdir(), 'emishift-profile-'));
  try {
    const run = await runMeasured(args, ['--cpu-prof', `--cpu-prof-dir=${directory}`, '--cpu-prof-interval=500']);
    return { process_seconds: Number(run.seconds.toFixed(3)), threads: readStages(directory) };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/**
 * What the figures were taken on: cores, CPU model and clock, and the x86 vector extensions that
 * set ONNX Runtime's GEMM speed (read from /proc/cpuinfo where there is one).
 */
function machine(): { cpus: number; cpu: string; cpu_mhz?: number; vector_extensions?: string[]; node: string } {
  const cpu = cpus()[0];
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // Not Linux: what os.cpus() says is all there is.
  }
  // Virtual machines often report a clock of 0 to os.cpus() while /proc/cpuinfo has it.
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo)?.[1] ?? cpu?.speed ?? 0);
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1].trim().split(/\s+/);
  return {
    cpus: availableParallelism(),
    cpu: cpu?.model ?? 'unknown',
    ...(mhz > 0 ? { cpu_mhz: Math.round(mhz) } : {}),
    ...(flags ? { vector_extensions: flags.filter((flag) => /^(avx\w*|fma)$/.test(flag)) } : {}),
    node: process.version,
  };
}

/** Node's own start-up here (`node -e 0`) in `env`, median of 5: the floor under every process time. */
function nodeStartupSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const started = performance.now();
    spawnSync(process.execPath, ['-e', '0'], { env });
    times.push((performance.now() - started) / 1000);
  }
  return Number(median(times).toFixed(3));
}

/**
 * Node's start-up, and where the environment names extra CA certificates, the start-up without
 * them: Node parses that file before any script runs (OpenSSL 3 takes tens of milliseconds on a
 * distribution's bundle), a cost of the environment that every process time here carries.
 */
function nodeStartup(): { node_startup_seconds: number; node_startup_without_extra_ca_certs_seconds?: number } {
  const seconds = nodeStartupSeconds();
  if (!process.env.NODE_EXTRA_CA_CERTS) return { node_startup_seconds: seconds };
  const withoutCertificates = { ...process.env };
  delete withoutCertificates.NODE_EXTRA_CA_CERTS;
  return { node_startup_seconds: seconds, node_startup_without_extra_ca_certs_seconds: nodeStartupSeconds(withoutCertificates) };
}

async function benchmarkTrain(dataRoot: string): Promise<object> {
  const rows = 20480;
  const xFile = join(dataRoot, 'train-x.npy');
  const yFile = join(dataRoot, 'train-y.npy');
  if (!existsSync(yFile)) {
    const rng = createRng(7);
    const x = new Float32Array(rows * 768).map(() => rng.normal() / Math.sqrt(768));
    const y = x.map((value) => 0.6 * value + (0.8 * rng.normal()) / Math.sqrt(768));
    writeNpyMatrix(xFile, { rows, cols: 768, data: x });
    writeNpyMatrix(yFile, { rows, cols: 768, data: y });
  }
  const out: Record<string, unknown> = { rows, batch_size: 2048, reference_samples_per_second: 10900, target_samples_per_second: 10000 };
  for (const [engine, epochs] of [
    ['native', 5],
    ['tfjs', 1],
  ] as const) {
    const run = await runMeasured(['train', '--x', xFile, '--y', yFile, '--out', join(dataRoot, `club-${engine}.safetensors`), '--epochs', String(epochs), '--batch-size', '2048', '--engine', engine, '--json']);
    const summary = JSON.parse(run.stdout) as { samples_per_second: number; engine: string; final_train_loss: number };
    out[engine] = { engine: summary.engine, epochs, samples_per_second: Math.round(summary.samples_per_second), final_train_loss: summary.final_train_loss, process_seconds: Number(run.seconds.toFixed(2)) };
  }
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.indexOf('--only') >= 0 ? args[args.indexOf('--only') + 1] : undefined;
  if (only === 'ksg') {
    process.stdout.write(`${JSON.stringify({ machine: machine(), ksg: await runKsgBenchmark() }, null, 2)}\n`);
    return;
  }
  if (only === 'pointwise') {
    process.stdout.write(`${JSON.stringify({ machine: machine(), pointwise: await runPointwiseBenchmark() }, null, 2)}\n`);
    return;
  }
  if (only === 'monitor') {
    process.stdout.write(`${JSON.stringify({ machine: machine(), monitor: await runMonitorBenchmark({ quick: args.includes('--quick') }) }, null, 2)}\n`);
    return;
  }
  if (only === 'questions') {
    process.stdout.write(`${JSON.stringify({ machine: machine(), question_files: await runQuestionFileBenchmark() }, null, 2)}\n`);
    return;
  }
  if (only === 'job') {
    const embedder = args.indexOf('--embedder') >= 0 ? args[args.indexOf('--embedder') + 1] : undefined;
    process.stdout.write(`${JSON.stringify({ machine: machine(), job: runJobBenchmark(embedder) }, null, 2)}\n`);
    return;
  }
  if (only === 'pretrained') {
    process.stdout.write(`${JSON.stringify({ machine: machine(), pretrained: await runPretrainedBenchmark() }, null, 2)}\n`);
    return;
  }
  if (only === 'encoders') {
    const encoders = await runEncoderChoice(16, ['builtin', 'mid', 'small', 'centernet'], { probe: true });
    process.stdout.write(`${JSON.stringify({ machine: machine(), encoders }, null, 2)}\n`);
    return;
  }
  const dataIndex = args.indexOf('--data');
  const dataRoot = dataIndex >= 0 ? args[dataIndex + 1] : join(tmpdir(), 'emishift-bench');
  mkdirSync(dataRoot, { recursive: true });
  const club = join(dataRoot, 'club-768.safetensors');
  saveClub(club, initClubParameters({ xDim: 768, yDim: 768, hiddenDim: 250 }, 1));
  // --quick keeps the one-split figure at 1,000 permutations and runs the sweep with 100.
  const sweepPermutations = args.includes('--quick') ? 100 : 1000;
  if (only === 'permutations') {
    const permutations = await runPermutationBenchmark(dataRoot, club, { sweepPermutations });
    process.stdout.write(`${JSON.stringify({ machine: machine(), permutations }, null, 2)}\n`);
    return;
  }
  if (only === 'baselines') {
    process.stdout.write(`${JSON.stringify({ machine: machine(), baselines: await runBaselinesBenchmark(dataRoot, club) }, null, 2)}\n`);
    return;
  }
  const sizes = args.includes('--quick') || only === 'sweep' ? [90, 1000] : [90, 1000, 10000];
  if (only === 'sweep') {
    // The two timed targets alone: n = 90 (median of 5, and median of 15 for a steadier figure on a shared machine) and n = 1000.
    const sweeps = [await benchmarkSweep(dataRoot, club, 90, 5), await benchmarkSweep(dataRoot, club, 90, 15), await benchmarkSweep(dataRoot, club, 1000, 3)];
    process.stdout.write(`${JSON.stringify({ machine: { ...machine(), ...nodeStartup(), club_forward_n90: await clubForwardAtSweepSize() }, sweep: sweeps }, null, 2)}\n`);
    return;
  }
  const sweep: object[] = [];
  for (const rows of sizes) sweep.push(await benchmarkSweep(dataRoot, club, rows, rows === 90 ? 5 : rows === 1000 ? 3 : 1));
  // The same sweep with no matrix shared between splits: every one of its 243 spectra computed.
  sweep.push(await benchmarkSweep(dataRoot, club, 90, 5, 'unique'));
  const report = {
    machine: { ...machine(), ...nodeStartup() },
    sweep,
    train: await benchmarkTrain(dataRoot),
    eigen: await runEigenBenchmark(),
    onnx_club: await runOnnxClubBenchmark(),
    neural: await runNeuralBenchmark(),
    ksg: await runKsgBenchmark(args.includes('--quick') ? [10000] : [10000, 100000]),
    pointwise: await runPointwiseBenchmark(),
    baselines: await runBaselinesBenchmark(dataRoot, club),
    monitor: await runMonitorBenchmark({ quick: args.includes('--quick') }),
    question_files: await runQuestionFileBenchmark(),
    permutations: await runPermutationBenchmark(dataRoot, club, { sweepPermutations }),
    pretrained: await runPretrainedBenchmark(),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
