import { getNextMillis } from 'bullmq';

/**
 * Checks a feed's cron pattern with the parser BullMQ's job schedulers use, so that a pattern the
 * configuration accepts is one the scheduler runs. Throws with the parser's reason, or when the
 * pattern never fires (30 February).
 */
export function checkCron(pattern: string, timeZone: string): void {
  const next = getNextMillis(Date.now(), { pattern, tz: timeZone });
  if (next === undefined || !Number.isFinite(next)) throw new Error('it never fires');
}
