/** Text and attribute values in the HTML pages we serve (newsletter, privacy links): the five characters that can end text or a quoted attribute. */
export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
