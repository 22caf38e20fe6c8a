// IPv4 addresses as unsigned 32-bit numbers, for every component that does address arithmetic
// (pod subnets, Service and load balancer pools). Pure, no I/O.

/** `10.42.0.7` → 0x0a2a0007, or undefined when it is not a dotted-quad IPv4 address. */
export function parseIPv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
