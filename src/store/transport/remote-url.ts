// What a remote's address is, as git reads it (Documentation/urls.txt), and how to name it without its
// secrets. Pure: no git, no file system.
//
// git's rules: `scheme://…` is a URL; `transport::address` goes to git-remote-<transport>; `[user@]host:path`
// is scp-like ssh when the ':' comes before any '/'; everything else (and a DOS drive, `C:\…`) is a local path.

/** How git reaches a remote. 'helper' is `transport::address` or a scheme git hands to git-remote-<scheme>. */
export type RemoteKind = 'http' | 'ssh' | 'scp' | 'git' | 'file' | 'path' | 'helper';

const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const HELPER_RE = /^([A-Za-z][A-Za-z0-9+.-]*)::/;

export function remoteKind(url: string): RemoteKind {
  const helper = HELPER_RE.exec(url);
  if (helper) return 'helper';
  const scheme = SCHEME_RE.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (scheme === 'http' || scheme === 'https') return 'http';
    if (scheme === 'ssh' || scheme === 'git+ssh' || scheme === 'ssh+git') return 'ssh';
    if (scheme === 'git') return 'git';
    if (scheme === 'file') return 'file';
    return 'helper';
  }
  const colon = url.indexOf(':');
  const slash = url.indexOf('/');
  // C:\repo or C:/repo is a drive, not a host called C.
  const isDrive = colon === 1 && /^[A-Za-z]$/.test(url[0] ?? '');
  if (colon > 0 && !isDrive && (slash < 0 || colon < slash)) return 'scp';
  return 'path';
}

/** Whether the remote is on this machine's file system (`file://` or a path): no host, no credentials. */
export function isLocalRemote(url: string): boolean {
  const k = remoteKind(url);
  return k === 'file' || k === 'path';
}

interface UrlParts {
  scheme: string;
  userinfo: string | undefined;
  rest: string;
}

function splitUrl(url: string): UrlParts | undefined {
  const m = SCHEME_RE.exec(url);
  if (!m) return undefined;
  const afterScheme = url.slice(m[0].length);
  const end = afterScheme.search(/[/?#]/);
  const authority = end < 0 ? afterScheme : afterScheme.slice(0, end);
  const at = authority.lastIndexOf('@');
  return {
    scheme: m[0],
    userinfo: at < 0 ? undefined : authority.slice(0, at),
    rest: at < 0 ? afterScheme : afterScheme.slice(at + 1),
  };
}

/**
 * The address with its secrets replaced by `***`: any user part of an http(s) URL (a token often stands
 * alone as the user name), a password anywhere, and a query string. `https://tok@host/r.git` →
 * `https://***@host/r.git`; `ssh://git@host/r.git` stays as it is (a user name, not a secret).
 */
export function redactUrl(url: string): string {
  const parts = splitUrl(url);
  // Not an address git would read as a URL, yet it may hold one (a typo, a leading '-' or space): scrub it as text.
  if (!parts) return redactText(url);
  let out = parts.scheme;
  if (parts.userinfo !== undefined) {
    const isHttp = /^https?:\/\/$/i.test(parts.scheme);
    out += isHttp || parts.userinfo.includes(':') ? '***@' : `${parts.userinfo}@`;
  }
  const q = parts.rest.indexOf('?');
  out += q < 0 ? parts.rest : `${parts.rest.slice(0, q)}?***`;
  return out;
}

function decodeLoose(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The secret strings an address carries (user part of an http(s) URL, any password, the query), raw and decoded. */
export function urlSecrets(url: string): string[] {
  const parts = splitUrl(url);
  if (!parts) return [];
  const out = new Set<string>();
  const add = (s: string | undefined) => {
    if (!s) return;
    out.add(s);
    out.add(decodeLoose(s));
  };
  if (parts.userinfo !== undefined) {
    const colon = parts.userinfo.indexOf(':');
    const isHttp = /^https?:\/\/$/i.test(parts.scheme);
    if (colon >= 0) {
      add(parts.userinfo.slice(colon + 1));
      if (isHttp) add(parts.userinfo.slice(0, colon));
    } else if (isHttp) add(parts.userinfo);
  }
  const q = parts.rest.indexOf('?');
  if (q >= 0) add(parts.rest.slice(q + 1).replace(/#.*$/, ''));
  // Short user names ("git", "x") would blank out ordinary words; only strings long enough to be secrets go.
  return [...out].filter((s) => s.length >= 4);
}

const ANY_URL_USERINFO = /\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/@'"<>]+@/g;
const AUTH_HEADER = /\b((?:proxy-)?authorization\s*:\s*)[^\r\n'"]*/gi;

/**
 * Text (git's stderr, an error message) with every given secret and every URL's user part replaced by `***`,
 * and Authorization headers blanked.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // Longest first, so a secret that contains another is removed whole.
  for (const s of [...secrets].filter((x) => x.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join('***');
  }
  return out.replace(ANY_URL_USERINFO, '$1***@').replace(AUTH_HEADER, '$1***');
}
