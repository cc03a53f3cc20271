import { createTask, validate, type ScheduledTask } from 'node-cron';
import type { Logger } from '../logging/logger.ts';
import type { Clock } from './clock.ts';

/**
 * What a scheduled job does when woken. Jobs keep their schedule in the database and decide
 * from `clock.now()` what is due, so a restart, a clock jump or a second daemon never makes
 * them skip or repeat work: the cron tick only says "look now".
 */
export type ScheduledJob = (now: Date) => Promise<void>;

export const OSLO = 'Europe/Oslo';

/**
 * Wakes jobs on cron expressions (node-cron, Europe/Oslo). A job never overlaps itself, and
 * a failing run is logged and tried again at the next tick.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly jobs = new Map<string, ScheduledJob>();

  constructor(private readonly o: { clock: Clock; log: Logger; timezone?: string }) {}

  every(name: string, cronExpression: string, job: ScheduledJob): void {
    if (!validate(cronExpression)) throw new Error(`job ${name}: "${cronExpression}" is not a cron expression`);
    this.jobs.set(name, job);
    const task = createTask(cronExpression, () => this.runNow(name), { name, timezone: this.o.timezone ?? OSLO, noOverlap: true });
    this.tasks.push(task);
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

  /** Starts the timers and runs every job once, so work that fell due while stopped is done now. */
  async start(): Promise<void> {
    for (const t of this.tasks) t.start();
    for (const name of this.jobs.keys()) await this.runNow(name);
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.stop();
  }
}
