/**
 * A bounded worker pool: at most `limit` tasks run at once, which is what keeps an inference
 * server (or a hosted API's rate limit) from being flooded when a split has hundreds of rows.
 */
import { InputError } from '../errors';

export interface PoolOptions {
  /** Once aborted no new item starts; items already running are awaited, then the pool rejects. */
  signal?: AbortSignal | undefined;
}

/** The reason an aborted signal carries, normalised to an Error so callers can rethrow it. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(reason === undefined ? 'the operation was aborted' : String(reason));
  error.name = 'AbortError';
  return error;
}

export function checkConcurrency(limit: number, field = 'concurrency'): number {
  if (!Number.isInteger(limit) || limit < 1) throw new InputError(`must be a positive integer, got ${String(limit)}`, { field });
  return limit;
}

/**
 * Runs `worker` over every item with at most `limit` in flight. The first worker error stops
 * new items from starting; the pool still waits for the running ones, because abandoning them
 * would let them write to shared output after the caller believes the run is over.
 */
export async function runBounded<T>(
  items: readonly T[],
  limit: number,
  worker: (item: T, index: number) => Promise<void>,
  options: PoolOptions = {},
): Promise<void> {
  checkConcurrency(limit);
  const { signal } = options;
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (firstError === undefined && !signal?.aborted && next < items.length) {
      const index = next++;
      try {
        await worker(items[index], index);
      } catch (error) {
        if (firstError === undefined) firstError = { error };
      }
    }
  };
  const lanes: Promise<void>[] = [];
  for (let i = 0; i < Math.min(limit, items.length); i++) lanes.push(lane());
  await Promise.all(lanes);
  if (firstError !== undefined) throw firstError.error;
  if (signal?.aborted) throw abortReason(signal);
}

/** `runBounded` that keeps each worker's result, in item order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  worker: (item: T, index: number) => Promise<R>,
  options: PoolOptions = {},
): Promise<R[]> {
  const results = new Array<R>(items.length);
  await runBounded(items, limit, async (item, index) => {
    results[index] = await worker(item, index);
  }, options);
  return results;
}
