// A receiving SMTP peer in a process of its own, so that neither side of a comparison shares
// its event loop with the server. stdin commands: "count" → prints the number of distinct
// Message-IDs received; "reset" → forgets them.
import { createInterface } from 'node:readline';
import { startSmtpPeer } from '../test/support/smtp-peer.ts';

const peer = await startSmtpPeer();
process.stdout.write(`port ${peer.port}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'count') process.stdout.write(`count ${peer.countByMessageId().size} ${peer.messages.length}\n`);
  else if (line === 'reset') {
    peer.reset();
    process.stdout.write('ok\n');
  } else if (line === 'stop') void peer.stop().then(() => process.exit(0));
});
