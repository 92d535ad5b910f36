import { createBatonClient, readEventStream, type BatonEvent, type BatonSchemas } from '@baton/client';
import { currentToken } from './auth.js';

export type Schemas = BatonSchemas;

/** The generated typed client (libs/client), the bearer header taken from memory on each call. */
export const api = createBatonClient({
  baseUrl: window.location.origin,
  token: () => currentToken() ?? '',
});

/** An error from a problem+json answer, with its title and detail for the page. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(`${title}: ${detail}`);
  }
}

/** Unwraps an openapi-fetch result, turning a problem into an ApiProblem. */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data !== undefined && result.response.ok) return result.data;
  const problem = (result.error ?? {}) as { title?: string; detail?: string };
  throw new ApiProblem(result.response.status, problem.title ?? result.response.statusText, problem.detail ?? '');
}

/**
 * Follows a §13 event stream with fetch (EventSource cannot send the bearer header), resuming with
 * Last-Event-ID after a drop, until `signal` aborts or the server ends a terminal run's stream.
 */
export async function followEvents(
  path: string,
  onEvent: (event: BatonEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let lastEventId: string | undefined;
  while (!signal.aborted) {
    const token = currentToken();
    if (!token) return;
    try {
      const response = await fetch(path, {
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'text/event-stream',
          ...(lastEventId && { 'last-event-id': lastEventId }),
        },
        signal,
      });
      if (!response.ok || !response.body) return;
      for await (const event of readEventStream(response.body)) {
        if (event.id) lastEventId = event.id;
        onEvent(event);
      }
      return; // the server ended the stream: a terminal run
    } catch {
      if (signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
