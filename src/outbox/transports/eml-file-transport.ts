import { mkdir, writeFile, access, rename } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { OutgoingEmail } from '../outgoing-email.ts';
import type { ClaimedRow, Deliverer, DeliveryResult } from '../deliverer.ts';
import { toNodemailerMessage } from './compose.ts';

/** A Message-ID as a safe file name: the file's existence is the idempotency record. */
export function emlFileName(messageId: string): string {
  return messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._@+-]/g, '_') + '.eml';
}

/**
 * The embedded default: each message becomes `<dir>/<message-id>.eml`, written to a temp name
 * and renamed, so a reader never sees half a file and a retry never writes a second copy.
 */
export class EmlFileDeliverer implements Deliverer {
  private readonly composer: Transporter;

  constructor(private readonly dir: string) {
    this.composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  async deliver(row: ClaimedRow): Promise<DeliveryResult> {
    const mail = row.payload as unknown as OutgoingEmail;
    await mkdir(this.dir, { recursive: true });
    const file = path.join(this.dir, emlFileName(mail.messageId));
    try {
      await access(file);
      return { result: { file, alreadyPresent: true } };
    } catch {
      /* not written yet */
    }
    const info = await this.composer.sendMail(toNodemailerMessage(mail));
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, info.message as Buffer);
    await rename(tmp, file);
    return { result: { file } };
  }
}
