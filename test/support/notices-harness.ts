/**
 * Test harness for operations notices: a "daemon" is an independent instance of the notices
 * scheduler job and an outbox dispatcher with its own connection pool (its own
 * application_name, as a real daemon has) over the shared test database. Restarting =
 * stopping one and starting a new one; a second daemon = two instances side by side.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { simpleParser } from 'mailparser';
import { openOrm, type Orm } from '../../src/db/orm.ts';
import { SmtpDeliverer } from '../../src/outbox/transports/smtp-transport.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import type { ManualClock } from '../../src/scheduler/clock.ts';
import { TemplateRenderer } from '../../src/templates/render-template.ts';
import { noticesConfigSchema } from '../../src/notices/notices-config.ts';
import type { NoticeJobDeps } from '../../src/notices/notice-job.ts';
import { registerNoticeJob } from '../../src/notices/setup.ts';
import { sqlOf } from '../../src/db/sql.ts';
import type { OutboxDispatcher } from '../../src/outbox/dispatcher.ts';
import type { SmtpPeer, ReceivedMessage } from './smtp-peer.ts';
import { makeDispatcher, until } from './outbox-helpers.ts';

export const TEST_SECRET = 'notices-test-secret';

/** Errors logged by jobs (Scheduler.runNow logs a failing job instead of throwing). */
export const loggedErrors: string[] = [];
export const testLog = pino(
  { level: 'error' },
  new Writable({
    write(chunk, _enc, cb) {
      loggedErrors.push(String(chunk));
      cb();
    },
  }),
);

export function noticeDeps(notices: unknown = {}, over: Partial<NoticeJobDeps> = {}): NoticeJobDeps {
  const config = noticesConfigSchema.parse({
    services: [
      { key: 'email', name: 'E-post', nameEn: 'Email' },
      { key: 'portal', name: 'Kundeportalen', nameEn: 'Customer portal' },
      { key: 'backup', name: 'Sikkerhetskopi', nameEn: 'Backup' },
    ],
    approval: { maintenance: false, incident: false, broadcast: false },
    ...(notices as Record<string, unknown>),
  });
  return {
    notices: config,
    templates: new TemplateRenderer(),
    secret: TEST_SECRET,
    messageIdDomain: 'infracomfort.example',
    mailFrom: 'drift@infracomfort.example',
    fromName: 'InfraComfort Drift',
    orgName: 'InfraComfort AS',
    channels: { support: '#support', sales: '#sales', triage: '#triage', privacy: '#privacy', alerts: '#alerts' },
    postToSlack: false,
    log: testLog,
    ...over,
  };
}

export interface NoticeDaemon {
  name: string;
  orm: Orm;
  dispatcher: OutboxDispatcher;
  scheduler: Scheduler;
  /** One wake-up of the notices job at the clock's current time. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startNoticeDaemon(o: { url: string; peer: SmtpPeer; clock: ManualClock; deps: NoticeJobDeps; name?: string }): Promise<NoticeDaemon> {
  const name = o.name ?? `mailroom-test:notices:${process.pid}:${++counter}`;
  const orm = await openOrm({ url: o.url, applicationName: name, poolMax: 4 });
  const smtp = new SmtpDeliverer(o.peer.url, { poolSize: 2 });
  const dispatcher = makeDispatcher(orm, { deliverers: { email: smtp }, workerId: name, pollIntervalMs: 30 });
  dispatcher.start();
  const scheduler = new Scheduler({ clock: o.clock, log: testLog });
  registerNoticeJob(scheduler, orm, { ...o.deps, onCommitted: () => dispatcher.wake() });
  return {
    name,
    orm,
    dispatcher,
    scheduler,
    tick: () => scheduler.runNow('notices'),
    async stop() {
      await scheduler.stop();
      await dispatcher.stop();
      await smtp.close();
      await orm.close(true);
    },
  };
}

/** Waits until the outbox has nothing left to send, then until the peer has `count` messages. */
export async function settle(orm: Orm, peer: SmtpPeer, count?: number): Promise<void> {
  await until(async () => {
    const [row] = await sqlOf(orm.em.fork())<{ n: string }>(`select count(*) as n from outbox_message where status in ('pending', 'sending')`);
    return Number(row!.n) === 0;
  }, { tries: 400, everyMs: 25 });
  if (count !== undefined) await peer.waitFor(count, 10_000);
  // A duplicate would arrive right behind; give it the chance to show up.
  await new Promise((r) => setTimeout(r, 100));
}

export interface ParsedNoticeMail {
  to: string;
  subject: string;
  step: string;
  ref: string;
  messageId: string;
  inReplyTo?: string;
  references: string[];
  text: string;
  html: string;
  raw: string;
}

export async function parseReceived(messages: ReceivedMessage[]): Promise<ParsedNoticeMail[]> {
  const out: ParsedNoticeMail[] = [];
  for (const m of messages) {
    const p = await simpleParser(m.raw);
    const refs = p.references ? (Array.isArray(p.references) ? p.references : p.references.split(/\s+/)) : [];
    out.push({
      to: m.envelope.to.join(','),
      subject: p.subject ?? '',
      step: String(p.headers.get('x-mailroom-notice-step') ?? ''),
      ref: String(p.headers.get('x-mailroom-id') ?? ''),
      messageId: p.messageId ?? '',
      inReplyTo: p.inReplyTo,
      references: refs.filter(Boolean),
      text: p.text ?? '',
      html: typeof p.html === 'string' ? p.html : '',
      raw: m.raw.toString('utf8'),
    });
  }
  return out;
}

/** Customers: Alfa and Beta use e-mail; Gamma only the portal. Each has ops-notice contacts. */
export async function seedCustomers(orm: Orm): Promise<void> {
  const sql = sqlOf(orm.em.fork());
  await sql(`insert into organisation (name, kind, domain) values ('Alfa AS', 'customer', 'alfa.example'), ('Beta AS', 'customer', 'beta.example'), ('Gamma AS', 'customer', 'gamma.example')`);
  await sql(
    `insert into organisation_service (organisation_id, service)
     select id, s from organisation, unnest(case name when 'Alfa AS' then array['email'] when 'Beta AS' then array['email', 'portal'] else array['portal'] end) s`,
  );
  await sql(
    `insert into contact (email, name, organisation_id, roles, language)
     select v.email, v.name, o.id, v.roles::text[], v.language
       from (values ('kari@alfa.example', 'Kari Nordmann', 'alfa.example', '{ops-notice-contact}', null),
                    ('john@alfa.example', 'John Smith', 'alfa.example', '{ops-notice-contact}', 'en'),
                    ('sales@alfa.example', 'Ola Salg', 'alfa.example', '{}', null),
                    ('drift@beta.example', 'Beta Drift', 'beta.example', '{ops-notice-contact}', 'nb'),
                    ('it@gamma.example', 'Gamma IT', 'gamma.example', '{ops-notice-contact}', 'nb')) v(email, name, domain, roles, language)
       join organisation o on o.domain = v.domain`,
  );
}

export const EMAIL_CUSTOMERS = ['drift@beta.example', 'john@alfa.example', 'kari@alfa.example'];
