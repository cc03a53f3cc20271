import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logging/logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { pgArray, sqlOf } from '../db/sql.ts';
import { readRaw, readRawBuffer } from './inbound-store.ts';
import type { RawCache } from './raw-cache.ts';
import { UnparseableMessageError } from './parse-message.ts';
import type { InboundForFiling, StoredParse } from './inbound-record.ts';
import type { ParseOutcome } from './parse-stage.ts';
import { inThreadParser, type MessageParser } from './parse-pool.ts';
import { backoffDelayMs } from '../queue/backoff.ts';
import { WorkLoop } from '../scheduler/work-loop.ts';

/**
 * Messages one worker claims, parses and files in one transaction. Per message a transaction
 * costs a claim, an update and a commit (about 0.5 ms of this process's time, mostly socket
 * writes); a batch pays them once.
 */
const DEFAULT_BATCH = 16;
/** Messages up to this size are read in one query rather than streamed. */
const WHOLE_READ_LIMIT = 4 * 1024 * 1024;

interface ClaimedMessage {
  id: string;
  state: 'stored' | 'parsed';
  mailbox: string | null;
  size: string;
  archive: boolean;
  received_at: Date;
  parsed: StoredParse | null;
}

/** One message's end state, as markAllFiled writes it. */
interface FiledRow {
  id: string;
  parsed: StoredParse | null;
  subject: string | null;
  from_address: string | null;
  automated_kind: string | null;
  automated_reason: string | null;
  outcome: string;
  record_ref: string | null;
  language: string | null;
}

function filedRow(id: string, result: FilingOutcome, parsed?: StoredParse): FiledRow {
  return {
    id,
    parsed: parsed ?? null,
    subject: parsed ? parsed.subject.slice(0, 500) : null,
    from_address: parsed?.from?.address?.toLowerCase() ?? null,
    automated_kind: parsed?.automated.kind ?? null,
    automated_reason: parsed?.automated.reason ?? null,
    outcome: result.outcome,
    record_ref: result.recordRef ?? null,
    language: result.language ?? null,
  };
}

/**
 * Claims up to `limit` due messages (or only `onlyId`) that no other worker holds, and makes
 * the claiming transaction's commit asynchronous. The raw message is already durable (stored
 * with a synchronous commit), so this commit need not wait for its WAL flush: if a power cut
 * loses it, the message is simply filed again from 'stored'. Anything later that acts on it
 * outside the database (the dispatcher claiming its outbox rows) commits synchronously, which
 * flushes this transaction's WAL first. (set_config rides on the claim: a round trip of its
 * own was a tenth of a message's queries.)
 */
function claimDue(em: EntityManager, limit: number, only?: string[]): Promise<ClaimedMessage[]> {
  const text = (filter: string) => `select id, state, mailbox, size, archive, received_at, parsed
       from inbound_message, (select set_config('synchronous_commit', 'off', true)) as async_commit
      where state in ('stored', 'parsed') and next_attempt_at <= now()${filter}
      order by id limit ? for update of inbound_message skip locked`;
  // The common claim and the fast lane's are prepared statements.
  return only === undefined
    ? sqlOf(em)<ClaimedMessage>(text(''), [limit], { name: 'ingest-claim' })
    : sqlOf(em)<ClaimedMessage>(text(' and id = any(?::bigint[])'), [pgArray(only), limit], { name: 'ingest-claim-only' });
}

export interface FilingOutcome {
  outcome: string;
  recordRef?: string;
  language?: string;
}

/** The handler stage: turns a parsed message into records and outbox rows, inside `em`'s transaction. */
export interface Filer {
  (em: EntityManager, message: InboundForFiling): Promise<FilingOutcome>;
  /**
   * Files a batch in order, with the same outcomes as one at a time but fewer statements;
   * without it the processor files a batch one message after another.
   */
  many?: (em: EntityManager, messages: InboundForFiling[]) => Promise<FilingOutcome[]>;
}

/** Thrown by a filer that needs another message filed first (a reply whose original is still in the pipeline). */
export class FileLaterError extends Error {}

export interface IngestProcessorOptions {
  orm: Orm;
  log: Logger;
  metrics?: Metrics;
  file: Filer;
  maxAttempts: number;
  ownDomains: string[];
  messageIdDomain: string;
  pollIntervalMs?: number;
  /** Concurrent workers (default 4). */
  lanes?: number;
  /** Messages a worker claims and files in one transaction (default 16). */
  batchSize?: number;
  /** Raw bytes the watcher just stored, to skip reading them back. */
  rawCache?: RawCache;
  /** Called after messages were filed (to apply the mailbox action, wake the outbox). */
  onFiled?: () => void;
  /** Recorded as the message's filed_by: which of the daemons sharing the database filed it. */
  workerId?: string;
  /** Where parsing runs (parse-pool.ts): worker threads in the daemon; default in this thread. */
  parser?: MessageParser;
}

/**
 * Drives stored messages through parse and then filing. Each stage is its own transaction
 * guarded by the message's state, so a crash anywhere resumes at the stage that did not
 * commit and nothing runs twice. Failures back off; after maxAttempts (or at once when the
 * bytes cannot be parsed at all) the message is quarantined with the reason, and the rest
 * flow on.
 */
export class IngestProcessor {
  private readonly work: WorkLoop;
  /** The fast lane: ids of mail just announced by IDLE, claimed before the backlog (see expedite). */
  private readonly urgent = new Set<string>();
  /** The dedicated lane working through `urgent` beside the backlog's lanes, while one runs. */
  private fastLane?: Promise<void>;
  private started = false;
  private cycles = 0;
  /** Until then the backlog's lanes claim nothing new: announced mail is on its way to the fast lane. */
  private heldUntil = 0;

  constructor(private readonly o: IngestProcessorOptions) {
    // One cycle at a time; runOnce spreads its work over the lanes itself.
    this.work = new WorkLoop({
      lanes: 1,
      pollIntervalMs: o.pollIntervalMs ?? 500,
      cycle: () => this.runOnce(),
      onError: (e) => o.log.error({ err: e }, 'ingest cycle failed; retrying'),
    });
  }

  start(): void {
    this.started = true;
    this.work.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.work.stop();
    await this.fastLane;
  }

  wake(): void {
    this.work.wake();
  }

  /**
   * The mailbox announced new mail: for a moment (at most `ms`, or until it is expedited and
   * filed) the backlog's lanes start no new batch, so that the one thread this process has is
   * free to fetch, store and file the new mail first.
   */
  announced(ms = 500): void {
    if (this.cycles > 0) this.heldUntil = Date.now() + ms;
  }

  /**
   * New mail should not wait behind a backlog: these messages (just announced by IDLE, stored
   * ahead of the backlog) are filed on a lane of their own beside the backlog's lanes (or, when
   * the processor is not started, first by runOnce's lanes). Ordering within a thread still
   * holds: the filer files a reply only after its stored original (FileLaterError), and the
   * watcher never stores a reply ahead of the backlog. Only this process knows the ids: another
   * instance sharing the database takes them in id order, as before.
   */
  expedite(ids: string[]): void {
    for (const id of ids) this.urgent.add(id);
    if (!this.started) return;
    // A lane of its own: the backlog's lanes may each be in the middle of a full batch.
    this.fastLane ??= (async () => {
      let filed = 0;
      try {
        for (let ids = this.takeUrgent(this.o.batchSize ?? DEFAULT_BATCH); ids && this.started; ids = this.takeUrgent(this.o.batchSize ?? DEFAULT_BATCH)) {
          filed += (await this.processBatch(ids.length, ids)).filed;
        }
      } catch (e) {
        this.o.log.error({ err: e }, 'ingest fast lane failed; the messages are taken in order instead');
      } finally {
        this.fastLane = undefined;
        this.heldUntil = 0;
      }
      if (filed > 0) this.o.onFiled?.();
    })();
  }

  /**
   * Works through due messages with `lanes` concurrent workers (database round trips, not
   * CPU, are what a message waits on); returns how many messages were advanced.
   */
  async runOnce(limit = Infinity): Promise<number> {
    this.cycles++;
    try {
      return await this.runLanes(limit);
    } finally {
      this.cycles--;
    }
  }

  /** A cycle is working through due messages (a backlog drains): new mail should be looked for often. */
  get draining(): boolean {
    return this.cycles > 0;
  }

  private async runLanes(limit: number): Promise<number> {
    let advanced = 0;
    let filed = 0;
    let taken = 0;
    const lane = async () => {
      for (;;) {
        const room = Math.min(this.o.batchSize ?? DEFAULT_BATCH, limit - taken);
        if (this.work.stopping || room <= 0) return;
        while (Date.now() < this.heldUntil && !this.work.stopping && this.urgent.size === 0) await new Promise((r) => setTimeout(r, 5));
        const urgent = this.takeUrgent(room);
        if (urgent) {
          taken += urgent.length;
          const r = await this.processBatch(urgent.length, urgent);
          taken -= urgent.length - r.advanced;
          advanced += r.advanced;
          filed += r.filed;
          continue;
        }
        taken += room;
        const r = await this.processBatch(room);
        taken -= room - r.advanced;
        if (r.advanced === 0) return;
        advanced += r.advanced;
        filed += r.filed;
      }
    };
    await Promise.all(Array.from({ length: this.o.lanes ?? 4 }, lane));
    if (filed > 0) this.o.onFiled?.();
    return advanced;
  }

  private takeUrgent(max: number): string[] | undefined {
    if (this.urgent.size === 0) return undefined;
    const ids = [...this.urgent].slice(0, max);
    for (const id of ids) this.urgent.delete(id);
    return ids;
  }

  /**
   * Claims up to `size` due messages (of `only`, when given) no other worker holds and takes them all through parse
   * and file in one transaction. Any failure rolls the whole batch back and its messages go
   * through processOne one at a time, so one bad message costs its batch a retry, never
   * its neighbours' progress, and a failure is recorded against the message that caused it.
   */
  private async processBatch(size: number, only?: string[]): Promise<{ advanced: number; filed: number }> {
    if (size <= 1) {
      const r = await this.processOne(only?.[0]);
      return { advanced: r === 'none' ? 0 : 1, filed: r === 'filed' ? 1 : 0 };
    }
    let claimed: ClaimedMessage[] = [];
    try {
      await this.o.orm.em.fork().transactional(async (em) => {
        claimed = await claimDue(em, size, only);
        if (claimed.length === 0) return;
        // The batch's raw messages go to the parser together (a pool's workers parse them in
        // a run each, beside this thread) before the first outcome is awaited.
        const stored = claimed.filter((row) => row.state === 'stored');
        const raws = [];
        for (const row of stored) raws.push(await this.rawOf(em, row));
        const outcomes = this.parser.parseMany(raws, this.parseOptions);
        for (const o of outcomes) o.catch(() => {}); // awaited below in order; meanwhile a failure must not count as unhandled
        const parses = claimed.map((row) => (row.state === 'stored' ? outcomes[stored.indexOf(row)] : undefined));
        const messages: InboundForFiling[] = [];
        for (const [i, row] of claimed.entries()) {
          const outcome = parses[i];
          messages.push({ id: row.id, mailbox: row.mailbox, archive: row.archive, receivedAt: row.received_at, parsed: outcome ? await this.storeParse(em, row.id, await outcome) : row.parsed! });
        }
        // In id order, so a reply later in the batch finds the records of its original.
        const results: FilingOutcome[] = [];
        if (this.o.file.many) results.push(...(await this.o.file.many(em, messages)));
        else for (const m of messages) results.push(await this.o.file(em, m));
        await this.markAllFiled(em, claimed.map((row, i) => filedRow(row.id, results[i]!, row.state === 'stored' ? messages[i]!.parsed : undefined)));
      });
    } catch (e) {
      if (claimed.length === 0) throw e;
      if (claimed.length === 1) {
        // Alone in its batch, the failure is this message's: one attempt, not two.
        await this.failed(claimed[0]!, e);
        return { advanced: 1, filed: 0 };
      }
      let advanced = 0;
      let filed = 0;
      for (const row of claimed) {
        const r = await this.processOne(row.id);
        if (r !== 'none') advanced++;
        if (r === 'filed') filed++;
      }
      return { advanced, filed };
    }
    return { advanced: claimed.length, filed: claimed.length };
  }

  /**
   * Claims the given message (a batch's fallback), or else the oldest due one no other worker
   * holds, and takes it through parse and file in one transaction. If filing fails, the parse
   * is committed on its own (so staff can see what was parsed) and the failure recorded.
   */
  private async processOne(id?: string): Promise<'none' | 'filed' | 'failed'> {
    let claimed: ClaimedMessage | undefined;
    try {
      return await this.o.orm.em.fork().transactional(async (em) => {
        const [row] = await claimDue(em, 1, id === undefined ? undefined : [id]);
        if (!row) return 'none' as const;
        claimed = row;
        const parsed = row.state === 'stored' ? await this.parse(em, row) : row.parsed!;
        const result = await this.o.file(em, { id: row.id, mailbox: row.mailbox, archive: row.archive, receivedAt: row.received_at, parsed });
        await this.markAllFiled(em, [filedRow(row.id, result, row.state === 'stored' ? parsed : undefined)]);
        return 'filed' as const;
      });
    } catch (e) {
      if (!claimed) throw e;
      await this.failed(claimed, e);
      return 'failed';
    }
  }

  /** After a message's transaction rolled back: keep its parse if that much worked, record the failure. */
  private async failed(claimed: ClaimedMessage, e: unknown): Promise<void> {
    if (claimed.state === 'stored' && !(e instanceof UnparseableMessageError)) {
      // Keep the parse even though filing failed; a parse failure itself is recorded below.
      await this.stage(claimed.id, 'stored', (em) => this.parseStage(em, claimed.id)).catch(() => false);
    }
    await this.recordFailure(claimed.id, e);
  }

  /** Runs one stage for one message if it is (still) in `state`; false when there was nothing to do. */
  private async stage(id: string, state: 'stored' | 'parsed', work: (em: EntityManager) => Promise<void>): Promise<boolean> {
    return this.o.orm.em.fork().transactional(async (em) => {
      const [row] = await sqlOf(em)(`select id from inbound_message where id = ? and state = ? for update skip locked`, [id, state]);
      if (!row) return false;
      await work(em);
      return true;
    });
  }

  /** Parses a stored message, writes its attachments, and returns what filing needs. */
  private async parse(em: EntityManager, msg: Pick<ClaimedMessage, 'id' | 'size'>): Promise<StoredParse> {
    return this.storeParse(em, msg.id, await this.startParse(await this.rawOf(em, msg)));
  }

  /** The raw message, ours to give away (the cache forgets what it hands out; a read is fresh). */
  private async rawOf(em: EntityManager, msg: Pick<ClaimedMessage, 'id' | 'size'>) {
    // Small messages (nearly all) come back in one query; big ones are streamed chunk by chunk.
    return this.o.rawCache?.take(msg.id) ?? (Number(msg.size) <= WHOLE_READ_LIMIT ? await readRawBuffer(em, msg.id) : readRaw(em, msg.id));
  }

  private startParse(raw: Awaited<ReturnType<IngestProcessor['rawOf']>>): Promise<ParseOutcome> {
    return this.parser.parse(raw, this.parseOptions);
  }

  private get parser(): MessageParser {
    return this.o.parser ?? inThreadParser;
  }

  private get parseOptions() {
    return { ownDomains: this.o.ownDomains, messageIdDomain: this.o.messageIdDomain };
  }

  /** Writes a parse's attachments and returns what filing needs. */
  private async storeParse(em: EntityManager, id: string, outcome: ParseOutcome): Promise<StoredParse> {
    let position = 0;
    for (const a of outcome.attachments) {
      await sqlOf(em)(
        `insert into attachment (inbound_message_id, position, filename, content_type, size, sha256, content_id, inline, from_tnef, content)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (inbound_message_id, position) do nothing`,
        [id, position++, a.filename ?? null, a.contentType, a.size, a.sha256, a.contentId ?? null, a.inline, a.fromTnef ?? false, a.content ?? null],
      );
    }
    return outcome.stored;
  }

  /** The parse stage on its own (used when filing failed, so the parse is not lost). */
  private async parseStage(em: EntityManager, id: string): Promise<void> {
    const [row] = await sqlOf(em)<{ size: string }>('select size from inbound_message where id = ?', [id]);
    const parsed = await this.parse(em, { id, size: row!.size });
    await sqlOf(em)(
      `update inbound_message set state = 'parsed', parsed = ?, subject = ?, from_address = ?, automated_kind = ?,
              automated_reason = ?, attempts = 0, last_error = null where id = ?`,
      [JSON.stringify(parsed), parsed.subject.slice(0, 500), parsed.from?.address?.toLowerCase() ?? null, parsed.automated.kind, parsed.automated.reason, id],
    );
  }

  /** The end state of filed messages (a batch, or one), one statement for all of them. */
  private async markAllFiled(em: EntityManager, rows: FiledRow[]): Promise<void> {
    await sqlOf(em)(
      `update inbound_message m
          set state = 'filed', parsed = coalesce(v.parsed, m.parsed), subject = coalesce(v.subject, m.subject),
              from_address = case when v.parsed is null then m.from_address else v.from_address end,
              automated_kind = case when v.parsed is null then m.automated_kind else v.automated_kind end,
              automated_reason = case when v.parsed is null then m.automated_reason else v.automated_reason end,
              outcome = v.outcome, record_ref = v.record_ref, language = v.language, filed_at = now(), filed_by = ?,
              attempts = 0, last_error = null
         from jsonb_to_recordset(?::jsonb) as v(id bigint, parsed jsonb, subject text, from_address text, automated_kind text,
              automated_reason text, outcome text, record_ref text, language text)
        where m.id = v.id`,
      [this.o.workerId ?? null, JSON.stringify(rows)],
      { name: 'ingest-mark-filed' },
    );
    for (const r of rows) this.o.metrics?.ingestFiled.inc({ outcome: r.outcome });
  }



  private async recordFailure(id: string, e: unknown): Promise<void> {
    const sql = sqlOf(this.o.orm.em.fork());
    if (e instanceof FileLaterError) {
      await sql(`update inbound_message set next_attempt_at = now() + interval '1 second' where id = ?`, [id]);
      return;
    }
    const reason = e instanceof UnparseableMessageError ? `unparseable: ${e.message}` : String((e as Error)?.message ?? e).slice(0, 1000);
    const [row] = await sql<{ attempts: number }>(
      `update inbound_message set attempts = attempts + 1, last_error = ? where id = ? returning attempts`,
      [reason, id],
    );
    const attempts = row?.attempts ?? 0;
    if (e instanceof UnparseableMessageError || attempts >= this.o.maxAttempts) {
      await sql(
        `update inbound_message set state = 'quarantined', outcome = 'quarantined', filed_at = now(), filed_by = ? where id = ? and state in ('stored', 'parsed')`,
        [this.o.workerId ?? null, id],
      );
      this.o.metrics?.ingestQuarantined.inc();
      this.o.log.warn({ inboundId: id, attempts, reason }, 'message quarantined');
      this.o.onFiled?.();
    } else {
      const delay = backoffDelayMs(attempts, 1_000, 5 * 60_000);
      await sql(`update inbound_message set next_attempt_at = now() + make_interval(secs => ?) where id = ?`, [delay / 1000, id]);
      this.o.log.warn({ inboundId: id, attempts, reason, retryInMs: delay }, 'message processing failed; will retry');
    }
  }
}

/** Puts a quarantined message back into the pipeline (CLI `quarantine retry`). */
export async function retryQuarantined(em: EntityManager, id: string): Promise<boolean> {
  const rows = await sqlOf(em)(
    `update inbound_message
        set state = case when parsed is null then 'stored' else 'parsed' end, attempts = 0, last_error = null,
            next_attempt_at = now(), outcome = null, filed_at = null, filed_by = null
      where id = ? and state = 'quarantined' returning id`,
    [id],
  );
  return rows.length > 0;
}
