/** Polls `probe` until `done` says yes; returns the last value. For waiting on asynchronous runs. */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, everyMs));
    value = await probe();
  }
  return value;
}

/**
 * Waits until some backend is blocked on a lock while running a statement that contains `fragment`
 * (a test holds the row it needs): the process under test is then exactly at that statement.
 * Returns the blocked backends' pids.
 */
export async function blockedOn(
  db: { query(text: string, values?: unknown[]): Promise<{ rows: { pid: number }[] }> },
  fragment: string,
  timeoutMs = 20000,
): Promise<number[]> {
  const rows = await eventually(
    async () =>
      (
        await db.query(
          `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()`,
          [fragment],
        )
      ).rows,
    (found) => found.length > 0,
    timeoutMs,
    20,
  );
  return rows.map((r) => r.pid);
}
