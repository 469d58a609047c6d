// Static files of the UI: the stylesheet and the script, each addressed with a content hash
// (`/static/mreg.css?v=<hash>`) so it can be cached for a year and still change with a release.
import { createHash } from 'node:crypto';
import { JS } from './script.js';
import { CSS } from './styles.js';

interface Asset {
  readonly path: string;
  readonly type: string;
  readonly body: Uint8Array;
  readonly hash: string;
}

function asset(path: string, type: string, text: string): Asset {
  const body = new TextEncoder().encode(text);
  return { path, type, body, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

const ASSETS = new Map<string, Asset>(
  [
    asset('/static/mreg.css', 'text/css; charset=utf-8', CSS),
    asset('/static/mreg.js', 'text/javascript; charset=utf-8', JS),
  ].map((a) => [a.path, a]),
);

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The versioned URL of a static file (`/static/mreg.css?v=…`). */
export function assetUrl(path: '/static/mreg.css' | '/static/mreg.js'): string {
  return `${path}?v=${ASSETS.get(path)!.hash}`;
}

/**
 * A static file, or undefined when there is none at `path`. The current version is cached for a year;
 * a request without the version (or with an old one) must revalidate.
 */
export function serveAsset(path: string, query: URLSearchParams, request: Request): Response | undefined {
  const a = ASSETS.get(path);
  if (!a) return undefined;
  const etag = `"${a.hash}"`;
  const headers: Record<string, string> = {
    'Content-Type': a.type,
    'Cache-Control': query.get('v') === a.hash ? IMMUTABLE : 'no-cache',
    ETag: etag,
  };
  if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
  return new Response(a.body as Uint8Array<ArrayBuffer>, { status: 200, headers });
}
