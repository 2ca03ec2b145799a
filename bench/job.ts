/**
 * `npm start` timed: the main job (`emishift run --config data/benchmark.json`, the shipped
 * benchmark with its configured embedder) as a child process into an empty output folder (what
 * a fresh clone runs after `npm ci`), then once more into the same folder (the rerun, which
 * should reuse the embedding cache, the split folders, the answering model and CLUB). Targets:
 * fresh under 180 s, rerun under 30 s. Each run reports wall seconds, the child's CPU seconds
 * (all threads, from its own `process.resourceUsage()` at exit) and the one-minute load
 * average at its start: on a shared machine, CPU seconds over the cores the job can use bound
 * the idle wall time from below.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'emishift.js');

interface JobRun {
  wall_seconds: number;
  cpu_seconds: number;
  load_average: number;
  exit_status: number | null;
}

function runJob(config: string, usageFile: string, preload: string): JobRun {
  const load = loadavg()[0];
  const start = performance.now();
  const result = spawnSync(process.execPath, ['--require', preload, BIN, 'run', '--config', config], { encoding: 'utf8', env: { ...process.env, EMISHIFT_BENCH_USAGE: usageFile } });
  const wall = (performance.now() - start) / 1000;
  if (result.status !== 0) throw new Error(`the job failed (${result.status}): ${result.stderr}`);
  const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { userCPUTime: number; systemCPUTime: number };
  return { wall_seconds: Number(wall.toFixed(2)), cpu_seconds: Number(((usage.userCPUTime + usage.systemCPUTime) / 1e6).toFixed(2)), load_average: Number(load.toFixed(2)), exit_status: result.status };
}

/** The fresh run and the rerun of the shipped job config with `embedder` (default: the config's own). */
export function runJobBenchmark(embedder?: string): object {
  const work = mkdtempSync(join(tmpdir(), 'emishift-bench-job-'));
  try {
    const shipped = JSON.parse(readFileSync(join(ROOT, 'data', 'benchmark.json'), 'utf8')) as Record<string, unknown>;
    const config = join(work, 'benchmark.json');
    writeFileSync(config, JSON.stringify({ ...shipped, benchmark: { ...(shipped.benchmark as object), data: join(ROOT, 'data', 'benchmark') }, ...(embedder ? { embedder } : {}), out: join(work, 'out') }));
    const preload = join(work, 'usage.js');
    writeFileSync(preload, "process.on('exit', () => require('node:fs').writeFileSync(process.env.EMISHIFT_BENCH_USAGE, JSON.stringify(process.resourceUsage())));\n");
    const fresh = runJob(config, join(work, 'fresh.json'), preload);
    const rerun = runJob(config, join(work, 'rerun.json'), preload);
    return { embedder: embedder ?? shipped.embedder ?? 'builtin', fresh, rerun, targets_seconds: { fresh: 180, rerun: 30 } };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
