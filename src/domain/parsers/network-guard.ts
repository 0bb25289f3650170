// Server-side request forgery guard. A URL given by a user must not make the server read its own
// loopback services, the cloud metadata endpoint (169.254.169.254) or the private network. Host
// names are checked where the connection is made (in the socket's DNS lookup), so a name cannot
// resolve to a public address for the check and a private one for the connection.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { DocumentError } from './errors';

export interface NetworkPolicy {
  /** Allow every address, private networks included (only for trusted, operator-given URLs). */
  allowPrivateNetworks?: boolean;
  /**
   * Hosts exempt from the private-network check, as "host" or "host:port" (e.g. an intranet wiki
   * the operator trusts, or a local test server). Redirects to other hosts are still checked.
   */
  allowedHosts?: string[];
}

/**
 * Only globally routable unicast addresses are public. Everything else is refused: loopback,
 * link-local (169.254/16, the cloud metadata service), RFC 1918 private ranges, carrier-grade NAT,
 * unique-local and site-local IPv6, unspecified, multicast, broadcast, documentation and reserved
 * ranges, and IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo).
 */
export function addressRange(address: string): { isPublic: boolean; range: string } {
  if (!ipaddr.isValid(address)) return { isPublic: false, range: 'invalid' };
  // process() turns IPv4-mapped IPv6 (::ffff:127.0.0.1) back into the IPv4 address it carries.
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  return { isPublic: range === 'unicast', range };
}

export function isHostAllowed(hostname: string, port: string, policy: NetworkPolicy): boolean {
  if (policy.allowPrivateNetworks) return true;
  const host = stripBrackets(hostname).toLowerCase();
  return (policy.allowedHosts ?? []).some((entry) => {
    const allowed = entry.toLowerCase();
    return allowed === host || allowed === `${host}:${port}` || allowed === `[${host}]:${port}`;
  });
}

export function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** The error for a refused address; `hop` is the redirect target when it is not the URL itself. */
export function forbiddenAddressError(url: string, hop: URL, address: string, range: string): DocumentError {
  const host = stripBrackets(hop.hostname);
  const resolved = host === address ? address : `${host} → ${address}`;
  const via = hop.href === url ? '' : `redirects to ${hop.href}, which `;
  return new DocumentError(
    'url_forbidden',
    url,
    `${via}points to a non-public address (${resolved}, ${range}); fetching it could expose internal services`,
    'Use a public http(s) URL; to ingest from a trusted internal host, list it in allowedHosts (or set allowPrivateNetworks)',
  );
}

export function defaultPort(target: URL): string {
  return target.port || (target.protocol === 'https:' ? '443' : '80');
}

/** Refuses an IP-literal host (a connection to it skips DNS, so the lookup guard never sees it). */
export function assertPublicIpLiteral(url: string, hop: URL, policy: NetworkPolicy): void {
  const host = stripBrackets(hop.hostname);
  if (!ipaddr.isValid(host) || isHostAllowed(hop.hostname, defaultPort(hop), policy)) return;
  const { isPublic, range } = addressRange(host);
  if (!isPublic) throw forbiddenAddressError(url, hop, host, range);
}

/**
 * A DNS lookup for http.request that resolves every address of the host (dns.lookup with all) and
 * refuses the connection if any of them is not public: an attacker's name with one public and one
 * private record must not get through by round-robin.
 */
export function guardedLookup(url: string, hop: URL, policy: NetworkPolicy): LookupFunction {
  const exempt = isHostAllowed(hop.hostname, defaultPort(hop), policy);
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family, hints: options.hints }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      if (!exempt) {
        for (const { address } of addresses) {
          const { isPublic, range } = addressRange(address);
          if (!isPublic) return callback(forbiddenAddressError(url, hop, address, range) as NodeJS.ErrnoException, '', 0);
        }
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const [first] = addresses;
      return callback(null, first.address, first.family);
    });
  };
}
