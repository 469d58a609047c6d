// Placeholder until the web UI lands: a page that says where the API is. Replaced wholesale by the UI.
import type { UiDeps } from '../ui-deps.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function handleUi(request: Request, deps: UiDeps): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname !== '/' && url.pathname !== '/ui' && url.pathname !== '/ui/') {
    return new Response('Not found\n', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  }
  const s = deps.current();
  const names = [...s.loaded.state.models.keys()].sort().slice(0, 200);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mreg</title></head><body>
<h1>mreg</h1><p>Serving branch <code>${esc(deps.branch)}</code> at commit <code>${esc(s.commit)}</code>.</p>
<p>MLflow REST API: <code>/api/2.0/mlflow/</code>; resolution: <code>/api/v1/resolve?uri=models:/NAME/Production</code>.</p>
<ul>${names.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></body></html>`;
  return new Response(html, { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}
