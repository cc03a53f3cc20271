import { createTask, validate, type ScheduledTask } from 'node-cron';
import type { Logger } from '../logging/logger.ts';
import type { Clock } from './clock.ts';
import { WorkLoop } from './work-loop.ts';

/**
 * What a scheduled job does when woken. Jobs keep their schedule in the database and decide
 * from `clock.now()` what is due, so a restart, a clock jump or a second daemon never makes
 * them skip or repeat work: the cron tick only says "look now".
 */
export type ScheduledJob = (now: Date) => Promise<void>;

export const OSLO = 'Europe/Oslo';

/** Longest timer Node keeps: the loop's sleep between cron wake-ups (the tick cuts it short). */
const UNTIL_WOKEN_MS = 2 ** 31 - 1;

/**
 * Wakes jobs on cron expressions (node-cron, Europe/Oslo). Each job runs on a WorkLoop of its
 * own, which the cron tick wakes: a job never overlaps itself, a tick that comes while it runs
 * makes one more run after it, and a failing run is logged and tried again at the next tick.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly jobs = new Map<string, ScheduledJob>();
  private readonly loops = new Map<string, WorkLoop>();

  constructor(private readonly o: { clock: Clock; log: Logger; timezone?: string }) {}

  every(name: string, cronExpression: string, job: ScheduledJob): void {
    if (!validate(cronExpression)) throw new Error(`job ${name}: "${cronExpression}" is not a cron expression`);
    this.jobs.set(name, job);
    const loop = new WorkLoop({
      lanes: 1,
      pollIntervalMs: UNTIL_WOKEN_MS,
      startAsleep: true,
      unref: true,
      onError: () => undefined, // runNow logs
      cycle: async () => {
        await this.runNow(name);
        return 0;
      },
    });
    this.loops.set(name, loop);
    this.tasks.push(createTask(cronExpression, () => loop.wake(), { name, timezone: this.o.timezone ?? OSLO }));
  }

  /** Runs one job immediately (start-up catch-up, tests, the CLI). */
  async runNow(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`no job named ${name}`);
    try {
      await job(this.o.clock.now());
    } catch (e) {
      this.o.log.error({ err: e, job: name }, 'scheduled job failed; it runs again at its next tick');
    }
  }

  /** Runs every job once, so work that fell due while stopped is done now, then starts the ticks. */
  async start(): Promise<void> {
    for (const name of this.jobs.keys()) await this.runNow(name);
    for (const loop of this.loops.values()) loop.start();
    for (const t of this.tasks) t.start();
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.stop();
    await Promise.all([...this.loops.values()].map((l) => l.stop()));
  }
}
