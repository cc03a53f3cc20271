/**
 * The Slack Web API methods Mailroom calls (src/slack, src/doctor) and the bot scopes each needs.
 * The app manifest asks for exactly these; a test reads the sources for the methods really
 * called, so a new call without its scope here fails the build rather than a day in production.
 */
export const SLACK_METHOD_SCOPES: Record<string, string[]> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'views.open': [],
  // Retried posts are found again by their metadata; staff channels may be private.
  'conversations.history': ['channels:history', 'groups:history'],
  // `mailroom doctor`: does each configured channel exist, with the bot in it.
  'conversations.info': ['channels:read', 'groups:read'],
  'conversations.list': ['channels:read', 'groups:read'],
  // `mailroom doctor` with Socket Mode: the app-level token (connections:write, not a bot scope).
  'apps.connections.open': [],
};

/** The `/mailroom` slash command needs this scope. */
export const SLASH_COMMAND_SCOPE = 'commands';

export function botScopes(): string[] {
  return [...new Set([...Object.values(SLACK_METHOD_SCOPES).flat(), SLASH_COMMAND_SCOPE])].sort();
}
