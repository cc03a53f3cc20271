import { z } from 'zod';
import { validate as validateCron } from 'node-cron';

/** '72h', '90m', '2d': how long before a maintenance window a reminder goes out. */
export const OFFSET_PATTERN = /^(\d+)\s*(m|h|d)$/;

export function offsetMinutes(text: string): number {
  const m = OFFSET_PATTERN.exec(text.trim());
  if (!m) throw new RangeError(`"${text}" is not an offset like 72h, 90m or 2d`);
  const n = Number(m[1]);
  return m[2] === 'd' ? n * 1440 : m[2] === 'h' ? n * 60 : n;
}

const offset = z.string().regex(OFFSET_PATTERN, 'must look like 72h, 90m or 2d');
const cron = z.string().refine((v) => validateCron(v), 'is not a cron expression');
const key = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes');

/**
 * Operations notices (driftsmeldinger). Lives under `notices:` in config/mailroom.yaml:
 *
 *   notices:
 *     services:
 *       - { key: email, name: E-post, nameEn: Email }
 *       - { key: portal, name: Kundeportalen, nameEn: Customer portal }
 *     reminders: [72h, 24h, 1h]
 *     approval: { maintenance: true, incident: false, broadcast: false }
 *     broadcasts:
 *       - key: monthly-summary
 *         cron: '0 8 1 * *'           # 08:00 Europe/Oslo on the 1st of each month
 *         title: Driftsoppsummering
 *         template: notice-broadcast   # src/templates or config/templates
 *         services: []                 # empty: every organisation with ops-notice contacts
 */
export const noticesConfigSchema = z
  .object({
    /** Prefix of notice IDs (DRIFT-000001). */
    refPrefix: z.string().regex(/^[A-Z]{2,8}$/, 'must be 2-8 capital letters').default('DRIFT'),
    /** Time zone in which notice times are written in mails and broadcast cron expressions are read. */
    timezone: z.string().default('Europe/Oslo'),
    /** The service catalogue; organisations subscribe to services by key. */
    services: z
      .array(
        z
          .object({
            key,
            name: z.string().min(1),
            nameEn: z.string().min(1).optional(),
          })
          .strict(),
      )
      .default([]),
    /** Reminders before a maintenance window starts, any order (sent longest offset first). */
    reminders: z.array(offset).default(['72h', '24h', '1h']),
    /** Whether the first message of a notice of each kind waits for approval in Slack (action kind 'notice'). */
    approval: z
      .object({
        maintenance: z.boolean().default(true),
        incident: z.boolean().default(false),
        broadcast: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Slack channel (a key of slack.channels) for notice approvals. */
    approvalChannel: z.enum(['support', 'sales', 'triage', 'privacy', 'alerts']).default('alerts'),
    /** How often the scheduler looks for due notice messages (the schedule itself is in the database). */
    checkCron: cron.default('* * * * *'),
    /** Recurring broadcasts: each fires once per cron period, whatever restarts happen. */
    broadcasts: z
      .array(
        z
          .object({
            key,
            cron,
            title: z.string().min(1),
            titleEn: z.string().min(1).optional(),
            template: z.string().regex(/^[a-z0-9-]+$/).default('notice-broadcast'),
            services: z.array(z.string()).default([]),
            body: z.string().default(''),
          })
          .strict(),
      )
      .default([]),
  })
  .strict()
  .prefault({})
  .superRefine((v, ctx) => {
    const known = new Set(v.services.map((s) => s.key));
    v.broadcasts.forEach((b, i) => {
      for (const s of b.services) {
        if (!known.has(s)) ctx.addIssue({ code: 'custom', path: ['broadcasts', i, 'services'], message: `unknown service "${s}" (not in notices.services)` });
      }
    });
    const keys = v.broadcasts.map((b) => b.key);
    if (new Set(keys).size !== keys.length) ctx.addIssue({ code: 'custom', path: ['broadcasts'], message: 'broadcast keys must be unique' });
  });

export type NoticesConfig = z.infer<typeof noticesConfigSchema>;
