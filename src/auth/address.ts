// Who the client is, by network address: loopback or not, and which address counts when a
// request came through a reverse proxy. A proxy header (X-Forwarded-For or RFC 7239 Forwarded)
// is believed only when the socket peer is one of the configured proxies (TRUST_PROXY), and only
// the header the proxy is configured to write: a client can put anything into either header,
// and a proxy appends to one and passes the other through untouched. IP parsing is hono's.

import { convertIPv4MappedIPv6ToIPv4, convertIPv4ToBinary, convertIPv6ToBinary, distinctRemoteAddr, isIPv4MappedIPv6 } from 'hono/utils/ipaddr';

export type ProxyHeader = 'x-forwarded-for' | 'forwarded';

/** An address as (family, 128-bit value); IPv4-mapped IPv6 counts as IPv4. */
interface Addr {
  v4: boolean;
  bits: bigint;
}

function parse(addr: string): Addr | undefined {
  const a = addr.trim().replace(/^\[|\]$/g, '');
  try {
    const t = distinctRemoteAddr(a);
    if (t === 'IPv4') return { v4: true, bits: convertIPv4ToBinary(a) };
    if (t === 'IPv6') {
      const b = convertIPv6ToBinary(a);
      return isIPv4MappedIPv6(b) ? { v4: true, bits: convertIPv4MappedIPv6ToIPv4(b) } : { v4: false, bits: b };
    }
  } catch {
    // not an address
  }
  return undefined;
}

export function isLoopback(addr: string | undefined): boolean {
  const a = addr ? parse(addr) : undefined;
  if (!a) return false;
  return a.v4 ? a.bits >> 24n === 127n : a.bits === 1n;
}

/** A set of addresses and CIDR ranges: `10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8`. */
export class AddressSet {
  private readonly ranges: Array<{ v4: boolean; net: bigint; mask: bigint }> = [];

  constructor(readonly specs: readonly string[]) {
    for (const s of specs) {
      const [base, prefix, extra] = s.split('/');
      const a = parse(base);
      const max = a?.v4 ? 32 : 128;
      const p = prefix === undefined ? max : /^[0-9]{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
      if (!a || extra !== undefined || !(p >= 0 && p <= max)) throw new Error(`not an IP address or CIDR range: '${s}'`);
      const mask = ((1n << BigInt(p)) - 1n) << BigInt(max - p);
      this.ranges.push({ v4: a.v4, net: a.bits & mask, mask });
    }
  }

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  has(addr: string | undefined): boolean {
    const a = addr ? parse(addr) : undefined;
    return !!a && this.ranges.some((r) => r.v4 === a.v4 && (a.bits & r.mask) === r.net);
  }
}

/** The `for=` values of an RFC 7239 Forwarded header, in order. */
function forwardedFor(header: string): string[] {
  const out: string[] = [];
  for (const element of header.split(',')) {
    for (const pair of element.split(';')) {
      const [k, ...v] = pair.split('=');
      if (k.trim().toLowerCase() !== 'for') continue;
      // `for="[2001:db8::1]:4711"` or `for=192.0.2.43:80`: strip quotes, brackets and the port.
      let val = v.join('=').trim().replace(/^"|"$/g, '');
      if (val.startsWith('[')) val = val.slice(1, val.indexOf(']'));
      else if (/^[0-9.]+:[0-9]+$/.test(val)) val = val.slice(0, val.indexOf(':'));
      out.push(val);
    }
  }
  return out;
}

export interface ClientInfo {
  /** The client's address, or undefined when it cannot be told (never loopback then). */
  address: string | undefined;
  /** Whether it may be treated as a local (loopback) client. */
  local: boolean;
}

export interface ProxyTrust {
  proxies: AddressSet;
  header: ProxyHeader;
}

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/**
 * The client behind `peer` (the socket's remote address). From a trusted proxy, the configured
 * header is read right to left, skipping trusted proxies: the first other address is the client
 * (the left part was written by whoever sent the request and proves nothing). A request that
 * carries a proxy header from a peer that is not a trusted proxy is never local: a proxy on
 * this host that TRUST_PROXY does not name would otherwise make every client look like loopback.
 */
export function clientOf(peer: string | undefined, header: (name: string) => string | undefined, trust: ProxyTrust): ClientInfo {
  if (peer && trust.proxies.has(peer)) {
    const raw = header(trust.header);
    if (!raw) return { address: undefined, local: false }; // a proxy that did not say who: unknown
    const hops = trust.header === 'forwarded' ? forwardedFor(raw) : raw.split(',').map((s) => s.trim());
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!parse(hops[i])) return { address: undefined, local: false }; // garbage (`unknown`, obfuscated): unknown
      if (!trust.proxies.has(hops[i]) || i === 0) return { address: hops[i], local: isLoopback(hops[i]) };
    }
    return { address: undefined, local: false };
  }
  const proxied = PROXY_HEADERS.some((h) => header(h) !== undefined);
  return { address: peer, local: !proxied && isLoopback(peer) };
}
