/**
 * The parse stage in a worker thread (the pool in parse-pool.ts loads this file; nothing else
 * imports it). One task is a run of messages (a batch's share), so a worker parses them back to
 * back instead of waiting for the main thread between messages. It takes the raw bytes
 * (transferred, not copied) and hands back only what filing and the attachment rows need: the
 * StoredParse and the attachments, whose small contents are transferred back. The raw bytes
 * never return.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { parseStage } from './parse-stage.ts';
import { UnparseableMessageError } from './parse-message.ts';
import type { ParseTask, ParseReply, WireAttachment } from './parse-pool.ts';

/**
 * A Buffer's bytes as a Uint8Array whose ArrayBuffer holds nothing else, so it can be
 * transferred: a Buffer from Node's shared pool (under 4 KiB) or a slice of a bigger one (TNEF
 * contents) is copied first, since transferring its ArrayBuffer would take its neighbours along.
 */
function ownBytes(b: Buffer, transfer: ArrayBuffer[]): Uint8Array {
  const own = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? new Uint8Array(b.buffer) : new Uint8Array(b);
  transfer.push(own.buffer as ArrayBuffer);
  return own;
}

async function parseOne(bytes: Uint8Array, options: ParseTask['options'], transfer: ArrayBuffer[]): Promise<ParseReply> {
  try {
    const outcome = await parseStage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
    const attachments: WireAttachment[] = outcome.attachments.map((a) => ({ ...a, content: a.content ? ownBytes(a.content, transfer) : undefined }));
    return { ok: true, stored: outcome.stored, attachments };
  } catch (e) {
    // An Error loses its class crossing threads: the processor must still tell "unparseable"
    // (quarantined at once, with its reason) from a failure worth retrying. Each message's
    // outcome is its own: one failing never fails its neighbours in the task.
    if (e instanceof UnparseableMessageError) return { ok: false, unparseable: e.message, problems: e.problems };
    return { ok: false, failed: String((e as Error)?.message ?? e) };
  }
}

export default async function parseInWorker(task: ParseTask): Promise<unknown> {
  const transfer: ArrayBuffer[] = [];
  const replies: ParseReply[] = [];
  for (const raw of task.raws) replies.push(await parseOne(raw, task.options, transfer));
  if (transfer.length === 0) return replies;
  return move({
    get [transferableSymbol]() {
      return transfer;
    },
    get [valueSymbol]() {
      return replies;
    },
  });
}
