// The web UI: server-rendered, read-only pages over the served state (or the state as of `?at=`), plus
// two static files. The daemon routes `GET /`, `/ui/*` and `/static/*` here and adds the security headers
// (CSP without inline script or style, nosniff, no referrer, no framing: see http/app.ts) to every answer.
//
//   /                                   registered models (search, sort, pages)
//   /ui/models/<name>                   a model and its versions
//   /ui/models/<name>/versions/<n>      a version, its lineage and history
//   /ui/history                         activity (?model=, ?before=)
//   /ui/webhooks                        webhooks of registry.yaml and mreg notify's delivery state
//   /static/mreg.css, /static/mreg.js   assets (?v=<hash>: cached for a year)
import { performance } from 'node:perf_hooks';
import { isRegistryError } from '../../errors.js';
import type { UiDeps } from '../ui-deps.js';
import { serveAsset } from './assets/index.js';
import { html, renderToString } from './html.js';
import { errorPage, type Rendered } from './pages/common.js';
import { historyPage } from './pages/history.js';
import { modelPage } from './pages/model.js';
import { modelsPage } from './pages/models.js';
import { versionPage } from './pages/version.js';
import { webhooksPage } from './pages/webhooks.js';
import { makeView, type View } from './view.js';

type Route =
  | { kind: 'models' }
  | { kind: 'model'; name: string }
  | { kind: 'version'; name: string; version: string }
  | { kind: 'history' }
  | { kind: 'webhooks' }
  | { kind: 'redirect'; to: string }
  | { kind: 'none' };

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Routes on the raw (percent-encoded) path, so an encoded `/` or `?` in a name stays inside its segment. */
function route(path: string, search: string): Route {
  if (path === '/') return { kind: 'models' };
  if (path === '/ui' || path === '/ui/' || path === '/ui/models' || path === '/ui/models/')
    return { kind: 'redirect', to: `/${search}` };
  if (path === '/ui/history') return { kind: 'history' };
  if (path === '/ui/webhooks') return { kind: 'webhooks' };
  const parts = path.split('/');
  // ['', 'ui', 'models', name] or ['', 'ui', 'models', name, 'versions', n]
  if (parts.length >= 4 && parts[1] === 'ui' && parts[2] === 'models' && parts[3] !== '') {
    const name = decode(parts[3]!);
    if (name === undefined) return { kind: 'none' };
    if (parts.length === 4) return { kind: 'model', name };
    if (parts.length === 6 && parts[4] === 'versions' && parts[5] !== '') {
      const version = decode(parts[5]!);
      return version === undefined ? { kind: 'none' } : { kind: 'version', name, version };
    }
  }
  return { kind: 'none' };
}

/** The page as a response; Server-Timing tells the browser (and benchmarks) how long the daemon took. */
function respond(r: Rendered, t0?: number): Response {
  const body = renderToString(r.doc);
  const timing: Record<string, string> =
    t0 !== undefined ? { 'Server-Timing': `render;dur=${(performance.now() - t0).toFixed(2)}` } : {};
  return new Response(body, {
    status: r.status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache', ...timing, ...r.headers },
  });
}

/** A plain view of the served state, for error pages when `at` itself is what failed. */
function fallbackView(query: URLSearchParams, deps: UiDeps): Promise<View> {
  const q = new URLSearchParams(query);
  q.delete('at');
  return makeView(q, deps);
}

export async function handleUi(request: Request, deps: UiDeps): Promise<Response> {
  const t0 = performance.now();
  const url = new URL(request.url);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    const r = errorPage(
      await fallbackView(new URLSearchParams(), deps),
      405,
      'Method not allowed',
      'This UI is read-only: it answers GET and HEAD only. Changes are made with mreg or through git.',
    );
    return respond({ ...r, headers: { Allow: 'GET, HEAD' } });
  }
  if (url.pathname.startsWith('/static/')) {
    return (
      serveAsset(url.pathname, url.searchParams, request) ??
      respond(errorPage(await fallbackView(new URLSearchParams(), deps), 404, 'Not found', 'There is no such file.'))
    );
  }
  const r = route(url.pathname, url.search);
  if (r.kind === 'redirect')
    return new Response(null, { status: 302, headers: { Location: r.to, 'Cache-Control': 'no-cache' } });

  let view: View;
  try {
    view = await makeView(url.searchParams, deps);
  } catch (e) {
    if (!isRegistryError(e)) throw e;
    const status = e.code === 'TEMPORARILY_UNAVAILABLE' ? 503 : 400;
    return respond(
      errorPage(
        await fallbackView(url.searchParams, deps),
        status,
        'Cannot show that moment',
        html`The <code>at</code> parameter could not be used: ${e.message}`,
      ),
    );
  }
  switch (r.kind) {
    case 'models':
      return respond(modelsPage(view), t0);
    case 'model':
      return respond(modelPage(view, r.name), t0);
    case 'version':
      return respond(await versionPage(view, r.name, r.version), t0);
    case 'history':
      return respond(await historyPage(view), t0);
    case 'webhooks':
      return respond(webhooksPage(view), t0);
    default:
      return respond(errorPage(view, 404, 'Page not found', 'There is no page at this address.'), t0);
  }
}
