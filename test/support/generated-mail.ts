/** Customer mail for load and fault tests: unique senders and Message-IDs, support-like text. */
export function supportMail(i: number, opts: { domainCount?: number; bodyBytes?: number; tag?: string } = {}): string {
  const tag = opts.tag ?? 'gen';
  const domain = `kunde${i % (opts.domainCount ?? 50)}.example`;
  const filler = opts.bodyBytes ? '\n' + 'Logglinje fra anlegget: temperatur og trykk innenfor normalen. '.repeat(Math.ceil(opts.bodyBytes / 64)).slice(0, opts.bodyBytes) : '';
  return [
    `From: Kunde ${i} <kunde${i}@${domain}>`,
    'To: InfraComfort Post <post@infracomfort.example>',
    `Subject: Feil på varmepumpe ${tag} ${i}`,
    `Date: ${new Date(Date.UTC(2026, 10, 2, 9, 0, 0) + i * 1000).toUTCString()}`,
    `Message-ID: <${tag}-${i}@${domain}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Hei,',
    '',
    `Varmepumpen på anlegg ${i} virker ikke etter oppdateringen. Den viser feilkode E${i % 90}, og det er kaldt i bygget.`,
    'Kan dere se på feilen så snart som mulig?',
    filler,
    'Mvh',
    `Kunde ${i}`,
    '',
  ].join('\r\n');
}
