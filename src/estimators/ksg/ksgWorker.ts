/** The worker thread of ksgMutualInformationOnCores: the KSG counts of one range of points. */
import { parentPort, workerData } from 'node:worker_threads';
import { ksgStatisticsOfRows, type KsgProblem } from './ksgEstimator';

const { problem, from, to } = workerData as { problem: KsgProblem; from: number; to: number };
const { countX, countY } = ksgStatisticsOfRows(problem, from, to);
parentPort!.postMessage({ countX, countY }, [countX.buffer as ArrayBuffer, countY.buffer as ArrayBuffer]);
