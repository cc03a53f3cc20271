import { z } from 'zod';
import { mailboxSetting } from '../mail/address.ts';

const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(' or ')})` },
  );

/**
 * Connections and secrets come from the environment (DESIGN.md). Empty strings count as
 * unset, because shells and .env files often export `FOO=` to mean "no value".
 */
export const envSchema = z.object({
  DATABASE_URL: url(['postgres', 'postgresql']).optional(),
  MAILROOM_DATA_DIR: z.string().default('./data'),
  MAILROOM_CONFIG: z.string().default('./config/mailroom.yaml'),
  IMAP_HOST: z.string().optional(),
  IMAP_PORT: port.optional(),
  IMAP_SECURE: bool.optional(),
  IMAP_USER: z.string().optional(),
  IMAP_PASSWORD: z.string().optional(),
  IMAP_MAILBOX: z.string().default('INBOX'),
  IMAP_OAUTH_TOKEN_URL: url(['http', 'https']).optional(),
  IMAP_OAUTH_CLIENT_ID: z.string().optional(),
  IMAP_OAUTH_CLIENT_SECRET: z.string().optional(),
  IMAP_OAUTH_REFRESH_TOKEN: z.string().optional(),
  SMTP_URL: url(['smtp', 'smtps']).optional(),
  /** One mailbox, display name allowed: `InfraComfort <post@infracomfort.example>`. */
  MAIL_FROM: mailboxSetting.default({ name: '', address: 'mailroom@localhost' }),
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_APP_TOKEN: z.string().optional(),
  SLACK_API_URL: url(['http', 'https']).optional(),
  PUBLIC_URL: url(['http', 'https']).optional(),
  HTTP_PORT: port.default(3000),
  HTTP_HOST: z.string().default('0.0.0.0'),
  MAILROOM_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAILROOM_EMBEDDED_PG_PORT: port.default(54329),
});

export type Env = z.infer<typeof envSchema>;

export function cleanEnv(source: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = source[key];
    if (v !== undefined && v !== '') out[key] = v;
  }
  return out;
}
