import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** What /healthz tells about the service, so `mailroom doctor` can tell whose health it reads. */
export type ServiceIdentity = {
  service: 'mailroom';
  version: string;
  /** Same for every instance sharing MAILROOM_SECRET; reveals nothing about the secret. */
  deployment: string;
};

let version: string | undefined;

/** The running code's version, from package.json (the daemon runs from its checkout). */
export function mailroomVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}

/**
 * A short keyed hash of the signing secret: two instances show the same value exactly when their
 * links and tokens are interchangeable, which is what "the same installation" means to a user.
 */
export function deploymentFingerprint(secret: string): string {
  return createHmac('sha256', secret).update('mailroom deployment fingerprint v1').digest('hex').slice(0, 16);
}

export function serviceIdentity(secret: string): ServiceIdentity {
  return { service: 'mailroom', version: mailroomVersion(), deployment: deploymentFingerprint(secret) };
}
