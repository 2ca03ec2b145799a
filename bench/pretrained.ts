/**
 * The `pretrained` embedder's throughput: USE-lite on the benchmark's questions and reference
 * answers and MobileNetV2 on the benchmark's 64 × 64 scenes, each on ONNX Runtime (the default
 * when onnxruntime-node is installed) and on tfjs (WASM backend unless tfjs-node is installed),
 * each after a warm-up batch. Targets: 300
 * sentences/s and 40 images/s on two cores. Wall-clock rates depend on what else the machine
 * runs, so each case also reports the process's CPU seconds (all its threads) and the rate per
 * CPU-second, with the one-minute load average at its start: on a shared machine the rate per
 * CPU-second times the cores the engine can use is the better estimate of the idle rate.
 */
import { availableParallelism, loadavg } from 'node:os';
import { PretrainedImageEmbedder, type PretrainedImageEngine } from '../src/embed/pretrainedImage';
import { PretrainedTextEmbedder, pretrainedTokenizer, type PretrainedTextEngine } from '../src/embed/pretrainedText';
import { generateQueries } from '../src/benchmark/questions';
import { renderScene } from '../src/benchmark/scenes';
import { rgbaToRgb } from '../src/io/image';
import { loadTfjs } from '../src/backend/tfjs';
import { defaultThreadCount, isOnnxRuntimeAvailable } from '../src/backend/onnx/runtime';

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

async function measure(count: number, run: () => Promise<unknown>): Promise<{ seconds: number; per_second: number; cpu_seconds: number; per_cpu_second: number; load_average: number }> {
  const load = loadavg()[0];
  const wall = performance.now();
  const cpu = cpuSeconds();
  await run();
  const seconds = (performance.now() - wall) / 1000;
  const cpuUsed = cpuSeconds() - cpu;
  return {
    seconds: Number(seconds.toFixed(3)),
    per_second: Number((count / seconds).toFixed(1)),
    cpu_seconds: Number(cpuUsed.toFixed(3)),
    per_cpu_second: Number((count / cpuUsed).toFixed(1)),
    load_average: Number(load.toFixed(2)),
  };
}

/** Throughput of both halves of the pretrained pair (see the module comment). */
export async function runPretrainedBenchmark(options: { sentences?: number; tfjsSentences?: number; images?: number; tfjsImages?: number } = {}): Promise<object> {
  const sentenceCount = options.sentences ?? 2048;
  const tfjsSentenceCount = options.tfjsSentences ?? 256;
  // A few hundred images, as a job embeds (the shipped benchmark: 1,170 distinct ones): the first runs are slower.
  const imageCount = options.images ?? 384;
  const tfjsImageCount = options.tfjsImages ?? 32;
  const queries = generateQueries(Math.max(Math.ceil(sentenceCount / 2), imageCount), 2025);
  const sentences = queries.flatMap((query) => [query.question, query.reference_answer]).slice(0, sentenceCount);
  const tokenizer = await pretrainedTokenizer();
  const tokens = sentences.reduce((sum, sentence) => sum + tokenizer.encode(sentence).length, 0) / sentences.length;
  const { backend } = await loadTfjs();
  const textEngines: PretrainedTextEngine[] = isOnnxRuntimeAvailable() ? ['onnxruntime', 'tfjs'] : ['tfjs'];
  const textRuns: object[] = [];
  for (const engine of textEngines) {
    const text = new PretrainedTextEmbedder({ engine });
    const started = performance.now();
    await text.ready();
    const loadSeconds = (performance.now() - started) / 1000;
    const batch = engine === 'tfjs' ? sentences.slice(0, tfjsSentenceCount) : sentences;
    await text.embedTexts(sentences.slice(0, 64));
    textRuns.push({
      engine,
      ...(engine === 'tfjs' ? { backend: `tfjs-${backend}` } : { intra_op_threads: defaultThreadCount() }),
      sentences: batch.length,
      load_seconds: Number(loadSeconds.toFixed(3)),
      ...(await measure(batch.length, () => text.embedTexts(batch))),
      target_per_second: 300,
    });
  }

  const images = queries.slice(0, imageCount).map((query) => rgbaToRgb(renderScene(query.scene)));
  const engines: PretrainedImageEngine[] = isOnnxRuntimeAvailable() ? ['onnxruntime', 'tfjs'] : ['tfjs'];
  const imageRuns: object[] = [];
  for (const engine of engines) {
    const embedder = new PretrainedImageEmbedder({ engine });
    const started = performance.now();
    await embedder.ready();
    const loadSeconds = (performance.now() - started) / 1000;
    const batch = engine === 'tfjs' ? images.slice(0, tfjsImageCount) : images;
    await embedder.embedImages(batch.slice(0, 32));
    imageRuns.push({ engine, images: batch.length, load_seconds: Number(loadSeconds.toFixed(3)), ...(await measure(batch.length, () => embedder.embedImages(batch))), target_per_second: 40 });
  }
  return {
    cores: availableParallelism(),
    text_model: 'universal-sentence-encoder-lite/2',
    text_mean_tokens: Number(tokens.toFixed(1)),
    text: textRuns,
    image: imageRuns,
  };
}

if (require.main === module) {
  runPretrainedBenchmark()
    .then((report) => process.stdout.write(`${JSON.stringify(report, null, 2)}\n`))
    .catch((error) => {
      process.stderr.write(`${(error as Error).stack ?? error}\n`);
      process.exitCode = 1;
    });
}
