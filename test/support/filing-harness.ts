import { readFileSync } from 'node:fs';
import type { EntityManager } from '@mikro-orm/postgresql';
import { IngestProcessor, type IngestProcessorOptions } from '../../src/ingest/ingest-processor.ts';
import { storeRaw } from '../../src/ingest/inbound-store.ts';
import { createFiler } from '../../src/handlers/file-message.ts';
import { defaultRoutingConfig } from '../../src/classify/routing-rules.ts';
import { TemplateRenderer } from '../../src/templates/render-template.ts';
import type { FilingDeps } from '../../src/handlers/filing-deps.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { sqlOf } from '../../src/db/sql.ts';
import type { Orm } from '../../src/db/orm.ts';
import { createMessageParser, type MessageParser } from '../../src/ingest/parse-pool.ts';

export const TEST_SECRET = 'test-secret-0123456789abcdef';

export function testFilingDeps(over: Partial<FilingDeps> = {}): FilingDeps {
  return {
    routing: defaultRoutingConfig,
    prefixes: { ticketPrefix: 'SUP', leadPrefix: 'LEAD' },
    secret: TEST_SECRET,
    messageIdDomain: 'infracomfort.example',
    mailFrom: 'post@infracomfort.example',
    fromName: 'InfraComfort',
    orgName: 'InfraComfort AS',
    ownDomains: ['infracomfort.example'],
    maxAcksPerHour: 3,
    acknowledgementsEnabled: true,
    templates: new TemplateRenderer(),
    ...over,
  };
}

let parser: MessageParser | undefined;
/**
 * Parses on two worker threads, as the daemon does (one pool per test file, its idle threads
 * never keep the file's process alive); MAILROOM_TEST_PARSE_WORKERS=0 parses in the test's thread.
 */
export function testParser(): MessageParser {
  return (parser ??= createMessageParser(Number(process.env.MAILROOM_TEST_PARSE_WORKERS ?? 2)));
}

export function makeProcessor(orm: Orm, deps: FilingDeps = testFilingDeps(), over: Partial<Pick<IngestProcessorOptions, 'onFiled' | 'lanes' | 'batchSize' | 'parser'>> = {}): IngestProcessor {
  return new IngestProcessor({
    orm,
    parser: testParser(),
    log: silentLogger,
    file: createFiler(deps),
    maxAttempts: 3,
    ownDomains: deps.ownDomains,
    messageIdDomain: deps.messageIdDomain,
    pollIntervalMs: 50,
    ...over,
  });
}

export function fixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/mail/${name}`, import.meta.url));
}

export async function importRaw(orm: Orm, raw: Buffer | string, opts: { archive?: boolean } = {}): Promise<string> {
  return orm.em.fork().transactional(async (em) => (await storeRaw(em, { source: 'import', raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw), archive: opts.archive })).id);
}

/** The company the fixtures write from: a customer with a known contact, and dealer 1042. */
export async function seedFixtureCompany(orm: Orm): Promise<void> {
  await orm.em.fork().transactional(async (em: EntityManager) => {
    const sql = sqlOf(em);
    const [fjord] = await sql<{ id: string }>(`insert into organisation (name, kind, domain) values ('Fjordvarme AS', 'customer', 'fjordvarme.example') returning id`);
    await sql(`insert into contact (email, name, organisation_id, roles, title, phone) values ('kari.nordmann@fjordvarme.example', 'Kari Nordmann', ?, '{support-contact,ops-notice-contact}', 'Driftsleder', '912 34 567')`, [fjord!.id]);
    await sql(`insert into organisation (name, kind, dealer_number, domain) values ('Bygg og Varme Forhandler AS', 'dealer', '1042', 'byggvarme.example')`);
    const [havne] = await sql<{ id: string }>(`insert into organisation (name, kind, domain) values ('Havnehuset', 'customer', 'havnehuset.example') returning id`);
    await sql(`insert into contact (email, name, organisation_id) values ('tom.jensen@havnehuset.example', 'Tom Jensen', ?)`, [havne!.id]);
  });
}

export async function inbound(orm: Orm, id: string) {
  const [row] = await sqlOf(orm.em.fork())('select * from inbound_message where id = ?', [id]);
  return row!;
}
