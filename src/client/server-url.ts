/**
 * Where to connect: an `ldap://` or `ldaps://` URL as given, or, for a bare host name, the
 * ports TAPI's Rendezvous control tried on an ILS server.
 */

/** The ILS ports in the order TAPI tried them (ITILSConfig): ILS's own 1002, then LDAP's 389. */
export const ILS_PORTS: readonly number[] = [1002, 389];

/** The LDAPS port (RFC 4513 does not define one; 636 is the IANA registration). */
export const LDAPS_PORT = 636;

/**
 * The URLs to try for what the caller gave, in order.
 *
 * - `ldap://host[:port]` and `ldaps://host[:port]`: that URL alone (a missing port is the
 *   scheme's default, 389 or 636). `secure` with `ldap://` is done by StartTLS after connecting.
 * - a bare `host` (or `host:port`): `ldap://host:1002` then `ldap://host:389`; with `secure`,
 *   `ldaps://host:636`, because TLS on the ILS ports was never a convention.
 *
 * @throws TypeError for anything else (another scheme, a path, an empty host).
 */
export function candidateUrls(target: string, secure: boolean): string[] {
  const text = target.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new TypeError(`'${target}' is not a valid LDAP URL`);
    }
    if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') throw new TypeError(`'${target}' is not an ldap:// or ldaps:// URL`);
    if (url.hostname === '') throw new TypeError(`'${target}' names no host`);
    if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.username !== '') {
      throw new TypeError(`'${target}' must be scheme://host[:port] only`);
    }
    return [`${url.protocol}//${url.host}`];
  }
  const bare = /^(\[[0-9a-f:.]+\]|[^\s:/[\]]+)(?::([0-9]{1,5}))?$/i.exec(text);
  if (!bare || (bare[2] !== undefined && Number(bare[2]) > 65535)) throw new TypeError(`'${target}' is neither a host name nor an ldap:// URL`);
  const host = bare[1]!;
  if (bare[2] !== undefined) return [`${secure ? 'ldaps' : 'ldap'}://${host}:${bare[2]}`];
  return secure ? [`ldaps://${host}:${LDAPS_PORT}`] : ILS_PORTS.map((port) => `ldap://${host}:${port}`);
}
