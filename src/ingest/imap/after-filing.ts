/**
 * After filing: messages of this mailbox in state filed/quarantined/duplicate get the keyword
 * (`keep`) or are moved (`move`), then `server_action_done` is set. Nothing is ever deleted.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { markServerActionDone, messagesAwaitingServerAction } from '../inbound-store.ts';
import { uidSet } from './imap-helpers.ts';
import type { MailboxWork, Session } from './session.ts';

export interface AfterFiling {
  afterFiling: 'keep' | 'move';
  keyword: string;
  moveTo: string;
}

const ACTION_BATCH = 500;

/** keep → add the keyword; move → move to moveTo. Never delete. */
export async function applyAfterFiling(w: MailboxWork, s: Session, a: AfterFiling): Promise<number> {
  const em = w.orm.em.fork() as EntityManager;
  const client = s.client;
  let total = 0;
  let createdTarget = false;
  while (w.canWork(s)) {
    const rows = await messagesAwaitingServerAction(em, w.mailbox, s.uidValidity, ACTION_BATCH);
    if (!rows.length) break;
    const set = uidSet(rows.map((r) => Number(r.uid)));
    if (a.afterFiling === 'move') {
      let moved = await client.messageMove(set, a.moveTo, { uid: true });
      if (!moved && client.usable && !createdTarget) {
        createdTarget = true;
        w.log.info({ moveTo: a.moveTo }, 'MOVE failed; creating the target folder and trying again');
        await client.mailboxCreate(a.moveTo).catch(() => undefined);
        moved = await client.messageMove(set, a.moveTo, { uid: true });
      }
      if (!moved) {
        if (!client.usable) throw new Error('connection lost during MOVE');
        w.log.error({ moveTo: a.moveTo, uids: set }, 'could not move filed messages; will try again later');
        break;
      }
    } else {
      const ok = await client.messageFlagsAdd(set, [a.keyword], { uid: true });
      if (!ok) {
        if (!client.usable) throw new Error('connection lost during STORE');
        // The server does not accept the keyword (PERMANENTFLAGS): nothing to retry; the
        // messages stay where they are, which is all `keep` promises.
        w.log.warn({ keyword: a.keyword, uids: set }, 'the server did not accept the keyword; messages left as they are');
      }
    }
    w.touch();
    await markServerActionDone(em, rows.map((r) => r.id));
    total += rows.length;
    if (rows.length < ACTION_BATCH) break;
  }
  if (total) w.log.debug({ count: total, action: a.afterFiling }, 'applied after-filing server actions');
  return total;
}
