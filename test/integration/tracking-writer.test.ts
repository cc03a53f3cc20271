/**
 * The event writer remembers each subscriber's address between batches (issue 21); nothing it
 * remembers may let an event through that the suppression list or DO NOT TRACK stops now.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedList, testNewsletterConfig, NL_SECRET } from '../support/newsletter-helpers.ts';
import { seedSubscribers } from '../../src/newsletter/subscribers.ts';
import { EventWriter, type TrackingEvent } from '../../src/newsletter/tracking.ts';
import { suppressAddress, liftSuppression } from '../../src/suppression/suppression-list.ts';
import { sqlOf } from '../../src/db/sql.ts';

let db: TestDatabase;
let writer: EventWriter;
let listId: string;
const sql = () => sqlOf(db.orm.em.fork());

beforeAll(async () => {
  db = await createTestDatabase();
  listId = await seedList(db.orm, 'writer');
  writer = new EventWriter(db.orm.em.fork(), testNewsletterConfig(), NL_SECRET);
});
afterAll(async () => {
  await db?.drop();
});

async function subscriber(email: string): Promise<string> {
  await db.orm.em.fork().transactional((em) => seedSubscribers(em, listId, 1, () => email));
  const [row] = await sql()<{ id: string }>(`select id::text from newsletter_subscriber where email = ?`, [email]);
  return row!.id;
}

const open = (subscriberId: string): TrackingEvent => ({ campaignId: '1', subscriberId, kind: 'open', linkIndex: null, reason: null, ip: '127.0.0.0', at: new Date() });
const events = async (subscriberId: string) => Number((await sql()<{ n: string }>(`select count(*) as n from newsletter_event where subscriber_id = ?`, [subscriberId]))[0]!.n);
const suppress = (email: string) => db.orm.em.fork().transactional((em) => suppressAddress(em, NL_SECRET, email, 'do-not-track', { source: 'test' }));

describe('event writer', () => {
  it('an opt-out committed after the address was remembered stops the next event at once', async () => {
    const id = await subscriber('frida@kunde.example');
    await writer.add(open(id));
    expect(await events(id)).toBe(1);
    await suppress('Frida@Kunde.example');
    await writer.add(open(id));
    expect(await events(id)).toBe(1);
    await db.orm.em.fork().transactional((em) => liftSuppression(em, NL_SECRET, 'frida@kunde.example', ['do-not-track']));
    await writer.add(open(id));
    expect(await events(id)).toBe(2);
    await sql()(`update newsletter_subscriber set dnt = true where id = ?`, [id]);
    await writer.add(open(id));
    expect(await events(id)).toBe(2);
  });

  it('a changed address is read again: its suppression counts, not the remembered one', async () => {
    const id = await subscriber('gammel@kunde.example');
    await writer.add(open(id));
    expect(await events(id)).toBe(1);
    // Rectified to an address that asked not to be tracked: the remembered (old) address is clean.
    await suppress('ny@kunde.example');
    await sql()(`update newsletter_subscriber set email = 'ny@kunde.example' where id = ?`, [id]);
    await writer.add(open(id));
    expect(await events(id)).toBe(1);
    // And back to a clean address: stored again.
    await sql()(`update newsletter_subscriber set email = 'tredje@kunde.example' where id = ?`, [id]);
    await writer.add(open(id));
    expect(await events(id)).toBe(2);
  });

  it('a batch of many subscribers, some stopped, stores exactly the others', async () => {
    const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => subscriber(`mange.${i}@kunde.example`)));
    for (let i = 0; i < 40; i += 4) await suppress(`mange.${i}@kunde.example`);
    await Promise.all(ids.map((id) => writer.add(open(id))));
    const counts = await Promise.all(ids.map(events));
    expect(counts).toEqual(ids.map((_, i) => (i % 4 === 0 ? 0 : 1)));
    // An unknown subscriber is answered, and stores nothing.
    await writer.add(open('999999'));
    expect(await events('999999')).toBe(0);
  });
});
