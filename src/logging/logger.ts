import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines for machines, readable lines on a terminal. Secrets and message bodies are
 * redacted by key so a careless `log.info({ mail })` cannot leak them at info level.
 */
export function createLogger(level: string = 'info', name = 'mailroom'): Logger {
  const pretty = process.stdout.isTTY && process.env.LOG_FORMAT !== 'json';
  return pino({
    name,
    level,
    redact: {
      paths: [
        'password', '*.password', 'pass', '*.pass', 'token', '*.token', 'accessToken', '*.accessToken',
        'secret', '*.secret', 'authorization', '*.authorization', 'headers.authorization',
        'text', '*.text', 'html', '*.html', 'body', '*.body', 'raw', '*.raw', 'auth', '*.auth',
      ],
      censor: '[redacted]',
    },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } }
      : {}),
  });
}

/** A logger that drops everything, for tests and CLI commands that print their own output. */
export const silentLogger: Logger = pino({ level: 'silent' });
