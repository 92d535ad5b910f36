/** What BullMQ's Job tells about when it was due: created at `timestamp`, `delay` ms later (a retry's backoff). */
export interface QueuedJobTimes {
  timestamp: number;
  delay?: number;
  opts?: { delay?: number };
  processedOn?: number;
}

/**
 * Seconds a job waited between being due and a worker taking it: a delayed job (a retry's
 * backoff) is not "waiting" before its delay is over. Never negative (clocks of two hosts).
 */
export function queueWaitSeconds(job: QueuedJobTimes, now: number): number {
  const due = job.timestamp + (job.delay ?? job.opts?.delay ?? 0);
  return Math.max(0, (job.processedOn ?? now) - due) / 1000;
}
