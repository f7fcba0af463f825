/** Query parameters whose values are credentials in connection URLs (postgres `?password=`, `?token=`, ...). */
const SECRET_QUERY = /pass|secret|token|key|auth|credential/i;

function redactOne(url: string): string {
  // The authority ends at the first '/', '?' or '#' after the scheme; its user info, at its last '@'
  // (a password pasted unescaped may contain '@' itself).
  const scheme = /^\s*[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
  const rest = url.slice(scheme.length);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf('@');
  let out = url;
  if (at !== -1) {
    const userInfo = authority.slice(0, at);
    const colon = userInfo.indexOf(':');
    // user:password keeps the user; a lone user part is a token (nats://TOKEN@host) and goes entirely.
    const redacted = colon === -1 ? '***' : `${userInfo.slice(0, colon)}:***`;
    out = scheme + redacted + rest.slice(at);
  }
  return out.replace(/([?&])([^=&#]+)=([^&#]*)/g, (all, sep: string, name: string) =>
    SECRET_QUERY.test(name) ? `${sep}${name}=***` : all,
  );
}

/**
 * A connection URL (or a comma-separated list of them, as NATS_URL takes) fit for logs and error messages:
 * passwords, tokens and credential query parameters replaced by `***`. Hosts, ports and paths are kept.
 */
export function redactUrl(url: string): string {
  return url.split(',').map(redactOne).join(',');
}

/** Free text (a driver's error message) with the credentials of any `scheme://user:pass@` URL in it replaced. */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]+)@/gi, (_all, scheme: string, userInfo: string) => {
    const colon = userInfo.indexOf(':');
    return `${scheme}${colon === -1 ? '***' : `${userInfo.slice(0, colon)}:***`}@`;
  });
}
