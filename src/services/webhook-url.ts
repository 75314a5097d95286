import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { DomainError, ErrorCode } from './errors';

/**
 * Where webhooks may be sent (server-side request forgery): `https://` URLs whose host resolves only to public unicast
 * addresses. Hosts named in WEBHOOK_ALLOW_INSECURE_HOSTS (development, tests) may use `http://` and private addresses.
 * The check runs when an endpoint is saved and again on every connection (`guardedLookup`), so a name that later
 * resolves to an internal address (DNS rebinding) is refused at send time too.
 */
let insecureHosts = new Set<string>();

/** Set once at start-up from WEBHOOK_ALLOW_INSECURE_HOSTS. */
export function allowInsecureWebhookHosts(hosts: readonly string[]): void {
  insecureHosts = new Set(hosts.map(normalHost));
}

function normalHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

export function isInsecureHostAllowed(host: string): boolean {
  return insecureHosts.has(normalHost(host));
}

/** Whether an address is public unicast (not loopback, private, link-local, CGNAT, multicast, reserved, …). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

const MAX_URL_LENGTH = 2048;

/** The URL parsed, or a DomainError saying what is wrong with it (field `url`). Does not resolve the host. */
export function parseWebhookUrl(raw: string): URL {
  const text = raw.trim();
  const refuse = (why: string) => new DomainError(ErrorCode.INVALID_VALUE, `url ${why}`, 'url');
  if (text.length === 0 || text.length > MAX_URL_LENGTH) throw refuse(`must be 1 to ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse(`is not a valid absolute URL: "${text.slice(0, 100)}".`);
  }
  if (url.username || url.password) throw refuse('must not contain a user name or password.');
  if (url.hash) throw refuse('must not contain a fragment (#…).');
  const insecureAllowed = isInsecureHostAllowed(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && insecureAllowed)) {
    throw refuse(
      insecureAllowed
        ? `must start with https:// or http://, got ${url.protocol}//.`
        : `must start with https:// (plain http is allowed only for the hosts in WEBHOOK_ALLOW_INSECURE_HOSTS), got ${url.protocol}//.`,
    );
  }
  return url;
}

function lookupAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));
}

/**
 * Checks a webhook URL for saving: its form (parseWebhookUrl) and that every address its host resolves to is public,
 * unless the host is allowed insecure. Returns the normalized URL text.
 */
export async function checkWebhookUrl(raw: string): Promise<string> {
  const url = parseWebhookUrl(raw);
  const host = normalHost(url.hostname);
  if (isInsecureHostAllowed(host)) return url.toString();
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookupAll(host)).map((a) => a.address);
    } catch {
      throw new DomainError(ErrorCode.INVALID_VALUE, `url: the host "${host}" could not be resolved.`, 'url');
    }
  }
  const internal = addresses.find((a) => !isPublicAddress(a));
  if (internal !== undefined || addresses.length === 0) {
    throw new DomainError(
      ErrorCode.INVALID_VALUE,
      `url: the host "${host}" resolves to ${internal ?? 'no address'}, which is not a public address. Webhooks are sent ` +
        'only to public addresses (hosts named in WEBHOOK_ALLOW_INSECURE_HOSTS are exempt).',
      'url',
    );
  }
  return url.toString();
}

/** The refusal of an internal address at send time (the host resolved to a public address when it was saved). */
export class InternalAddressError extends Error {
  readonly code = 'EWEBHOOKADDRESS';
  constructor(host: string, address: string) {
    super(`${host} resolved to ${address}, which is not a public address`);
  }
}

/**
 * A `lookup` for http(s).request that resolves as usual and refuses internal addresses, so the address checked is the
 * address connected to. IP literals in a URL do not go through lookup: the dispatcher checks those itself (sendCheck).
 */
export function guardedLookup(
  hostname: string,
  options: { all?: boolean; family?: number },
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    if (!isInsecureHostAllowed(hostname)) {
      const internal = addresses.find((a) => !isPublicAddress(a.address));
      if (internal) return callback(new InternalAddressError(hostname, internal.address) as unknown as NodeJS.ErrnoException, '', 0);
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
}

/** At send time: the stored URL is still allowed (the allow list may have changed; IP literals checked here). */
export function sendCheck(url: URL): string | null {
  const host = normalHost(url.hostname);
  if (isInsecureHostAllowed(host)) return null;
  if (url.protocol !== 'https:') return `${url.protocol}// is not allowed for ${host} (not in WEBHOOK_ALLOW_INSECURE_HOSTS)`;
  if (isIP(host) && !isPublicAddress(host)) return `${host} is not a public address`;
  return null;
}
