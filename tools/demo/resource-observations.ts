import type { ManagedChild } from './stack-supervisor.js';
import { waitFor } from './step-waiter.js';

/** What the demo resource server logged about one request it served (never the token). */
export interface ResourceObservation {
  method: string;
  path: string;
  status: number;
  sub?: string;
  aud?: string | string[];
  scope?: string;
  act?: { sub?: string } | null;
  idempotencyKey?: string;
  refused?: string;
}

/** Collects the resource server's per-request log lines, so the story can show what it saw. */
export class ResourceObservations {
  private readonly seen: ResourceObservation[] = [];

  constructor(child: ManagedChild) {
    child.onLine((line) => {
      if (!line.startsWith('{')) return;
      try {
        const parsed = JSON.parse(line) as ResourceObservation & { msg?: string };
        if (parsed.msg === 'request') this.seen.push(parsed);
      } catch {
        // not a JSON line
      }
    });
  }

  /** The first request after `since` (an index from `count`) that matches. */
  async next(
    description: string,
    since: number,
    matches: (o: ResourceObservation) => boolean,
  ): Promise<ResourceObservation> {
    const found = await waitFor(
      `the expenses API to log ${description}`,
      () => this.seen.slice(since).find(matches),
      (o) => o !== undefined,
      5000,
      50,
    );
    return found!;
  }

  get count(): number {
    return this.seen.length;
  }
}

/** "aud=… scope=… sub=… act=…": the claims a request carried, as the resource server saw them. */
export function describeObservation(o: ResourceObservation): string {
  const aud = Array.isArray(o.aud) ? o.aud.join(' ') : (o.aud ?? '-');
  const act = o.act && typeof o.act === 'object' && typeof o.act.sub === 'string' ? o.act.sub : '-';
  return `aud=${aud} scope="${o.scope ?? ''}" sub=${o.sub ?? '-'} act=${act} → ${o.status}`;
}
