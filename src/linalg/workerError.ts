/** An error as the linalg workers send it back: its name, message and the InputError field, if any. */
export interface WorkerError {
  name: string;
  message: string;
  field: string | undefined;
}

/** What a worker posts for an error it caught (errors do not cross threads whole). */
export function workerErrorOf(error: unknown): WorkerError {
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  const field = (error as { field?: unknown }).field;
  return { name, message, field: typeof field === 'string' ? field : undefined };
}
