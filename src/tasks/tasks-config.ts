/**
 * `tasks:` in config/mailroom.yaml. A file of its own (zod and cron only) so the configuration
 * schema can include it without reaching the task services, which read the configuration.
 */
import { z } from 'zod';
import { validate as validateCron } from 'node-cron';

export const tasksConfigSchema = z
  .object({
    /** Hours an approval may wait for a decision (fractions allowed); 0: approvals never expire. */
    approvalsExpireAfterHours: z.number({ error: 'must be a number of hours' }).nonnegative('must be 0 (never) or more').default(7 * 24),
    /** When stale approvals are looked for (cron, Europe/Oslo; a sixth, leading field counts seconds). */
    expiryCheckCron: z
      .string()
      .refine((v) => validateCron(v), 'is not a cron expression')
      .default('*/5 * * * *'),
  })
  .strict()
  .prefault({});

export type TasksConfig = z.infer<typeof tasksConfigSchema>;
