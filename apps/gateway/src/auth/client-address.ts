/**
 * The part of a client's address that failed-login throttling counts by:
 * the IPv4 address, or the /64 prefix of an IPv6 address (one host commonly
 * holds a whole /64, so counting single IPv6 addresses would let a client
 * rotate through them).
 */
import { isIP } from 'node:net';

/** The throttling key of addresses we cannot read (a socket already gone). */
export const UNKNOWN_ADDRESS = '(unknown)';

/** The eight 16-bit groups of an IPv6 address, or undefined when `ip` is not one. */
function ipv6Groups(ip: string): number[] | undefined {
  if (isIP(ip) !== 6) return undefined;
  let text = ip.replace(/%.*$/, '');
  // A trailing dotted IPv4 part (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(missing).fill('0'), ...right].map((g) => Number.parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined;
}

/**
 * The IP address in `address` — as sockets report it (`127.0.0.1`, `::1`,
 * `::ffff:127.0.0.1`) or with a port after it, as gRPC's `getPeer()` gives
 * it (`127.0.0.1:5000`, `[::1]:5000`, `::1:5000`) — or undefined when there
 * is none.
 */
export function clientIp(address: string | undefined): string | undefined {
  if (!address || address === 'unknown') return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return isIP(bracketed[1]!) ? bracketed[1] : undefined;
  if (isIP(address)) return address;
  const withoutPort = address.replace(/:\d+$/, '');
  return isIP(withoutPort) ? withoutPort : undefined;
}

/**
 * The key failed logins from `address` are counted under: an IPv4 address
 * as is (IPv4-mapped IPv6 included), an IPv6 address as its /64, anything
 * unreadable as {@link UNKNOWN_ADDRESS}.
 */
export function throttleAddress(address: string | undefined): string {
  const ip = clientIp(address);
  if (ip === undefined) return UNKNOWN_ADDRESS;
  if (isIP(ip) === 4) return ip;
  const groups = ipv6Groups(ip);
  if (!groups) return UNKNOWN_ADDRESS;
  // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket: the same client as a.b.c.d.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}
