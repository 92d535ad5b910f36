import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import type { AllowedHostEntry } from '../../domain/definition/allowed-host.js';
import { DestinationRefusedError, decideAddress, type DestinationDecision } from './destination-policy.js';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/**
 * A `dns.lookup` that refuses, for `port`, every resolved address the policy refuses — the check
 * runs on the addresses the socket will actually connect to, so a name that answers a public
 * address when the workflow is posted and 127.0.0.1 when it is called (DNS rebinding) is refused.
 * Usable as `net.connect({ lookup })`, `http.Agent({ lookup })` or undici `connect: { lookup }`.
 */
export function createGuardedLookup(
  entries: readonly AllowedHostEntry[],
  port: number,
  resolve: LookupFunction = (hostname, options, callback) => dns.lookup(hostname, options, callback as never),
): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, resolved) => {
      if (error) return callback(error, options.all ? [] : '', undefined);
      const addresses = resolved as LookupAddress[];
      for (const { address } of addresses) {
        const decision = decideAddress({ hostname, port, address }, entries);
        if (!decision.allowed) return callback(refusal(decision), options.all ? [] : '', undefined);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', undefined);
      callback(null, first.address, first.family);
    });
  };
}

function refusal(decision: Extract<DestinationDecision, { allowed: false }>): NodeJS.ErrnoException {
  return Object.assign(new DestinationRefusedError(decision), { errno: undefined }) as NodeJS.ErrnoException;
}

/**
 * An undici dispatcher whose every connection goes through the guard: IP-literal hosts are
 * decided before connecting (no lookup happens for them), names through `createGuardedLookup`.
 * No redirects are followed by the callers, so the first connection is the only one.
 */
export function createGuardedAgent(entries: readonly AllowedHostEntry[], options: Agent.Options = {}): Agent {
  const connectors = new Map<number, buildConnector.connector>();
  const connectorFor = (port: number) => {
    let connector = connectors.get(port);
    if (!connector) {
      connector = buildConnector({ lookup: createGuardedLookup(entries, port) as never });
      connectors.set(port, connector);
    }
    return connector;
  };
  return new Agent({
    ...options,
    connect: (opts, callback) => {
      const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
      if (isIP(opts.hostname.replace(/^\[|\]$/g, '')) !== 0) {
        const decision = decideAddress({ hostname: opts.hostname, port }, entries);
        if (!decision.allowed) {
          callback(new DestinationRefusedError(decision), null);
          return null as never;
        }
      }
      return connectorFor(port)(opts, callback);
    },
  });
}

const WRAPPED = 'DestinationRefusedError: ';

/**
 * The refusal inside a failed fetch/undici error chain, if that is why it failed. Node's bundled
 * fetch re-wraps an error from another realm (jest's VM context) as `Error(String(error))`, so
 * the refusal is also recognised by its text there.
 */
export function destinationRefusalOf(error: unknown): DestinationRefusedError | null {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof DestinationRefusedError) return current;
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string' && message.startsWith(WRAPPED)) {
      const reason = message.slice(WRAPPED.length);
      return new DestinationRefusedError({
        allowed: false,
        code: reason.includes('is not in http.allowedHosts') ? 'destination_not_allowed' : 'private_address',
        reason,
      });
    }
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}
