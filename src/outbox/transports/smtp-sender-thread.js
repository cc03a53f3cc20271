// The SMTP sessions of one deliverer run in this worker thread, away from the database work of
// the main thread. Its only other job is to append the outbox row id to the delivery journal
// with a synchronous write the instant the peer accepts a message (see delivery-journal.ts):
// an idle thread does that within microseconds of the 250, which keeps the span in which a
// kill -9 leaves a delivered row looking unsent as small as it can be made.
// Plain JavaScript, because worker threads do not inherit tsx's loader.
import { parentPort, workerData } from 'node:worker_threads';
import { openSync, writeSync, ftruncateSync, fstatSync } from 'node:fs';
import nodemailer from 'nodemailer';

const { transportOptions, journalFile } = workerData;
const transporter = nodemailer.createTransport(transportOptions);
const journal = journalFile ? openSync(journalFile, 'a') : null;

parentPort.on('message', (msg) => {
  if (msg.type === 'compact') {
    if (journal !== null && fstatSync(journal).size > (msg.maxBytes ?? 1 << 20)) ftruncateSync(journal, 0);
    return;
  }
  if (msg.type === 'close') {
    transporter.close();
    parentPort.close();
    return;
  }
  transporter.sendMail(msg.mail, (err, info) => {
    if (err) {
      parentPort.postMessage({
        id: msg.id,
        ok: false,
        error: { message: err.message, responseCode: err.responseCode, code: err.code, response: err.response },
      });
      return;
    }
    if (journal !== null) writeSync(journal, msg.rowId + '\n');
    parentPort.postMessage({
      id: msg.id,
      ok: true,
      info: { response: info.response, accepted: info.accepted, rejected: info.rejected },
    });
  });
});
