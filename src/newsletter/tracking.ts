/**
 * Tracking events, stored durably before the answer goes out (group commit): while one batch's
 * statement runs, the requests arriving meanwhile queue up and go together in the next, so an
 * event costs a share of one round trip, not one of its own, and a request is answered only once
 * the statement holding its event has committed (a crash loses no acknowledged event).
 *
 * Per batch that is one statement (tracking-store.ts), which checks the suppression list and DO
 * NOT TRACK itself, in the snapshot it writes in: an opt-out counts from its commit on. The only
 * thing remembered between batches is each subscriber's address with its suppression-list hashes
 * (computing them is the costly part, and an address seldom changes); the statement stores only
 * events whose subscriber still has the remembered address, and names those that changed, which
 * are read again and retried. So nothing remembered can let an opted-out event through.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { NewsletterConfig } from './config-schema.ts';
import { suppressionHashes } from '../suppression/suppression-list.ts';
import { insertEvents, subscriberAddresses, type KnownAddress, type TrackingEvent } from './tracking-store.ts';

export type { TrackingEvent } from './tracking-store.ts';

/** Subscribers whose address is remembered (about 200 bytes each). */
const ADDRESSES_KEPT = 50_000;
/** A subscriber whose address keeps changing under a batch is given up on after this many reads (its events are not stored). */
const ADDRESS_READS = 3;
/** Most events in one statement. */
const BATCH_MAX = 1000;

interface Waiting {
  e: TrackingEvent;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class EventWriter {
  private queue: Waiting[] = [];
  private readonly addresses = new Map<string, KnownAddress>();

  constructor(
    private readonly em: EntityManager,
    private readonly config: Pick<NewsletterConfig, 'aggregateOnly' | 'machineOpenWindowSeconds' | 'machineClickWindowSeconds'>,
    /** Key of the suppression list's hashes. */
    private readonly secret: string,
  ) {}

  /** Up to this many statements in flight: PostgreSQL groups their commits (fsyncs) itself. */
  private inflight = 0;
  private static readonly MAX_INFLIGHT = 2;

  /** Resolves once the event is committed (or known not to be stored: suppressed, DO NOT TRACK, unknown subscriber). */
  add(e: TrackingEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ e, resolve, reject });
      if (this.inflight < EventWriter.MAX_INFLIGHT) void this.writeQueued();
    });
  }

  private async writeQueued(): Promise<void> {
    this.inflight++;
    try {
      while (this.queue.length) {
        const batch = this.queue.length <= BATCH_MAX ? this.queue : this.queue.slice(0, BATCH_MAX);
        this.queue = this.queue.length <= BATCH_MAX ? [] : this.queue.slice(BATCH_MAX);
        try {
          await this.write(batch.map((b) => b.e));
          for (const b of batch) b.resolve();
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.inflight--;
    }
  }

  private remember(id: string, email: string): KnownAddress {
    const a = { email, ...suppressionHashes(email, this.secret) };
    if (this.addresses.size >= ADDRESSES_KEPT) this.addresses.delete(this.addresses.keys().next().value!);
    this.addresses.set(id, a);
    return a;
  }

  private async write(events: TrackingEvent[]): Promise<void> {
    const unknown = [...new Set(events.filter((e) => !this.addresses.has(e.subscriberId)).map((e) => e.subscriberId))];
    if (unknown.length) for (const [id, email] of await subscriberAddresses(this.em, unknown)) this.remember(id, email);
    let pending = events;
    for (let read = 1; pending.length; read++) {
      const known = pending.flatMap((e) => {
        const a = this.addresses.get(e.subscriberId);
        return a ? [{ e, a }] : [];
      });
      if (known.length === 0) return;
      const changed = await insertEvents(this.em, known, this.config);
      if (changed.size === 0 || read === ADDRESS_READS) return;
      for (const [id, email] of changed) this.remember(id, email);
      pending = known.filter(({ e }) => changed.has(e.subscriberId)).map(({ e }) => e);
    }
  }
}

/** A 43-byte transparent GIF. */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
