export interface NetworkFailure {
  code?: string;
  message: string;
}

const REDACTED = '[redacted]';

/**
 * What went wrong below HTTP, from a rejected fetch: undici wraps the socket error as `cause`
 * (`ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_SOCKET`…; an `AggregateError` when several addresses were
 * tried). Any occurrence of `secret` (the access token) is removed from the message.
 */
export function describeNetworkFailure(err: unknown, secret?: string): NetworkFailure {
  const cause = propertyOf(err, 'cause');
  const code = codeOf(cause) ?? codeOf(err) ?? codeOf(firstAggregated(cause));
  const raw = messageOf(cause) ?? messageOf(err) ?? 'network error';
  const message = secret ? raw.split(secret).join(REDACTED) : raw;
  return code === undefined ? { message } : { code, message };
}

function propertyOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function codeOf(value: unknown): string | undefined {
  const code = propertyOf(value, 'code');
  return typeof code === 'string' && code !== '' ? code : undefined;
}

function messageOf(value: unknown): string | undefined {
  const message = propertyOf(value, 'message');
  return typeof message === 'string' && message !== '' ? message : undefined;
}

function firstAggregated(value: unknown): unknown {
  const errors = propertyOf(value, 'errors');
  return Array.isArray(errors) ? errors[0] : undefined;
}
