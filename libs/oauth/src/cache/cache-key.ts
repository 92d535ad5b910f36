import { createHash } from 'node:crypto';

export interface ExchangedTokenCacheKeyParts {
  /** The user's token; only its SHA-256 enters the key. */
  subjectToken: string;
  /** The `exchangeProfiles` key. */
  profile: string;
  audience?: string;
  resource?: string;
  /** Order and duplicates do not matter. */
  scopes: readonly string[];
  /** The actor presented (agent and parent chain), when the profile has one: agents never share tokens. */
  actor?: string;
  /** The run, for a `revokeOnRunEnd` profile: runs never share tokens that one of them revokes. */
  runId?: string | null;
}

/**
 * The cache key of an exchanged token (SPEC §4 step 3): a SHA-256 over the hash of the subject
 * token, the profile, audience, resource and the sorted scope set. The parts are JSON-encoded
 * before hashing so that no choice of values can make two different tuples collide.
 */
export function cacheKey(parts: ExchangedTokenCacheKeyParts): string {
  const scopes = [...new Set(parts.scopes)].sort();
  const tuple: unknown[] = [
    sha256(parts.subjectToken),
    parts.profile,
    parts.audience ?? null,
    parts.resource ?? null,
    scopes,
  ];
  if (parts.actor !== undefined) tuple.push(parts.actor);
  if (parts.runId !== undefined) tuple.push(['run', parts.runId]);
  return sha256(JSON.stringify(tuple));
}

/**
 * The SHA-256 of a subject token (hex): how the tokens exchanged from it are found and dropped when
 * a security event revokes it (SPEC §10.3), without the token itself leaving the process.
 */
export function subjectTokenDigest(subjectToken: string): string {
  return sha256(subjectToken);
}

function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
