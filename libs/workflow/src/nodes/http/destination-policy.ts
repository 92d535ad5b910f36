import { isIP } from 'node:net';
import {
  type AllowedHostEntry,
  findAllowedHost,
  isListedLiterally,
  normalizeHost,
} from '../../domain/definition/allowed-host.js';

/** What an IP address is, for the SSRF guard (SPEC §16 "Private addresses"). */
export const AddressClass = {
  Public: 'public',
  Loopback: 'loopback',
  LinkLocal: 'link_local',
  Private: 'private',
  Unspecified: 'unspecified',
  Multicast: 'multicast',
  Reserved: 'reserved',
} as const;
export type AddressClass = (typeof AddressClass)[keyof typeof AddressClass];

/** Why a destination is refused; `destination_not_allowed` and `private_address` are the node error codes. */
export type DestinationDecision =
  { allowed: true } | { allowed: false; code: 'destination_not_allowed' | 'private_address'; reason: string };

/**
 * Classifies an IPv4 or IPv6 address. IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible IPv6
 * addresses are classified as the IPv4 address they carry; NAT64 (`64:ff9b::/96`) likewise.
 * Anything that is not an address at all is `reserved` (never public).
 */
export function classifyAddress(address: string): AddressClass {
  const text = normalizeHost(address);
  const family = isIP(text);
  if (family === 4) return classifyIPv4(ipv4Octets(text));
  if (family === 6) return classifyIPv6(ipv6Words(text));
  return AddressClass.Reserved;
}

function classifyIPv4([a, b, c]: number[]): AddressClass {
  if (a === 0) return AddressClass.Unspecified; // 0.0.0.0/8 ("this network"; 0.0.0.0 reaches loopback on Linux)
  if (a === 127) return AddressClass.Loopback;
  if (a === 169 && b === 254) return AddressClass.LinkLocal; // cloud metadata lives here
  if (a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168)) return AddressClass.Private;
  if (a === 100 && b! >= 64 && b! <= 127) return AddressClass.Private; // carrier-grade NAT
  if (a === 198 && (b === 18 || b === 19)) return AddressClass.Private; // benchmarking
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return AddressClass.Reserved; // IETF, TEST-NET-1
  if ((a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return AddressClass.Reserved;
  if (a! >= 224 && a! <= 239) return AddressClass.Multicast;
  if (a! >= 240) return AddressClass.Reserved; // includes 255.255.255.255
  return AddressClass.Public;
}

function classifyIPv6(w: number[]): AddressClass {
  const allZero = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  if (allZero(0, 8)) return AddressClass.Unspecified;
  if (allZero(0, 7) && w[7] === 1) return AddressClass.Loopback;
  const embedded = () => classifyIPv4([w[6]! >> 8, w[6]! & 0xff, w[7]! >> 8, w[7]! & 0xff]);
  if (allZero(0, 5) && w[5] === 0xffff) return embedded(); // IPv4-mapped
  if (allZero(0, 6)) return embedded(); // IPv4-compatible (deprecated)
  if (w[0] === 0x64 && w[1] === 0xff9b && allZero(2, 6)) return embedded(); // NAT64
  if ((w[0]! & 0xffc0) === 0xfe80) return AddressClass.LinkLocal; // fe80::/10
  if ((w[0]! & 0xffc0) === 0xfec0) return AddressClass.Private; // site-local (deprecated)
  if ((w[0]! & 0xfe00) === 0xfc00) return AddressClass.Private; // unique local fc00::/7
  if ((w[0]! & 0xff00) === 0xff00) return AddressClass.Multicast;
  if (w[0] === 0x2001 && w[1] === 0x0db8) return AddressClass.Reserved; // documentation
  if (w[0] === 0x2002) return classifyIPv4([w[1]! >> 8, w[1]! & 0xff, w[2]! >> 8, w[2]! & 0xff]); // 6to4
  return AddressClass.Public;
}

function ipv4Octets(text: string): number[] {
  return text.split('.').map(Number);
}

function ipv6Words(text: string): number[] {
  let body = text.split('%')[0]!; // zone id
  let tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (dotted) {
    const [a, b, c, d] = ipv4Octets(dotted[1]!) as [number, number, number, number];
    tail = [(a << 8) | b, (c << 8) | d];
    body = body.slice(0, -dotted[1]!.length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const [head, rest] = body.includes('::') ? (body.split('::') as [string, string]) : [body, undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const missing = 8 - tail.length - left.length - right.length;
  return [...left, ...Array<number>(rest === undefined ? 0 : missing).fill(0), ...right, ...tail];
}

/**
 * Whether a call to `hostname`:`port` may connect to `address` (SPEC §16). The host must be in
 * `http.allowedHosts` (port-aware). A non-public address is refused unless the host, or the
 * address itself, is listed without a wildcard: naming `localhost:5000` says "I mean loopback",
 * `*.example.com` does not say a subdomain may resolve inside the network.
 */
export function decideDestination(
  target: { hostname: string; port: number; address?: string },
  entries: readonly AllowedHostEntry[],
): DestinationDecision {
  const host = normalizeHost(target.hostname);
  if (!findAllowedHost(host, entries, target.port)) {
    return {
      allowed: false,
      code: 'destination_not_allowed',
      reason: `${describe(host, target.port)} is not in http.allowedHosts`,
    };
  }
  return decideAddress(target, entries);
}

/** The address half of `decideDestination` (webhooks, which have no allow-list, use it alone). */
export function decideAddress(
  target: { hostname: string; port: number; address?: string },
  entries: readonly AllowedHostEntry[],
): DestinationDecision {
  const host = normalizeHost(target.hostname);
  const address = normalizeHost(target.address ?? host);
  if (isIP(address) === 0) return { allowed: true }; // a name: decided again on the address it resolves to
  const kind = classifyAddress(address);
  if (kind === AddressClass.Public) return { allowed: true };
  if (isListedLiterally(host, entries, target.port) || isListedLiterally(address, entries, target.port))
    return { allowed: true };
  const via = address === host ? '' : ` (${host} resolves to it)`;
  return {
    allowed: false,
    code: 'private_address',
    reason: `${describe(address, target.port)} is a ${kind.replace('_', '-')} address${via}; list the host literally in http.allowedHosts to allow it`,
  };
}

function describe(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Thrown from the guarded lookup/connector; the http caller turns it into a node failure, not a retry. */
export class DestinationRefusedError extends Error {
  readonly code: 'destination_not_allowed' | 'private_address';
  constructor(decision: Extract<DestinationDecision, { allowed: false }>) {
    super(decision.reason);
    this.name = 'DestinationRefusedError';
    this.code = decision.code;
  }
}
