// Webhooks (`/ui/webhooks`): the webhooks of the served registry.yaml and how `mreg notify` is doing with each
// (the state it keeps under the git directory): delivered, retrying or parked, the last delivery and error.
import type { RegistryFile } from '../../../domain/state.js';
import { readAllStatusSync, type WebhookStatus } from '../../../notify/status-read.js';
import { formatCount, timeTag } from '../format.js';
import { html, type Html } from '../html.js';
import { commandsPanel, emptyState, page } from '../layout.js';
import { mregCommand } from '../shell.js';
import type { View } from '../view.js';
import { nowHref, type Rendered } from './common.js';

const WEBHOOKS_PATH = '/ui/webhooks';

type Hook = NonNullable<RegistryFile['webhooks']>[number];

const STATE_CLASS: Record<string, string> = {
  ok: 'stage-production',
  retrying: 'stage-staging',
  parked: 'state-parked',
};

function stateBadge(s: WebhookStatus | undefined): Html {
  if (!s) return html`<span class="badge stage-none">not started</span>`;
  return html`<span class="badge ${STATE_CLASS[s.state] ?? 'stage-none'}">${s.state}</span>`;
}

function row(h: Hook | undefined, s: WebhookStatus | undefined): Html {
  const name = h?.name ?? s!.name;
  const failing =
    s && s.state !== 'ok' && s.last_error
      ? html`<div class="muted">
          ${s.last_error.message}${s.next_attempt ? html` · next attempt ${timeTag(s.next_attempt, true)}` : ''}
        </div>`
      : '';
  return html`<tr>
    <th scope="row" data-label="Webhook">
      ${name}${h ? '' : html` <span class="muted">(removed from registry.yaml)</span>`}
    </th>
    <td data-label="State">${stateBadge(s)}${failing}</td>
    <td data-label="URL"><code>${h?.url ?? s!.url}</code></td>
    <td data-label="Events">
      ${h ? h.events.join(', ') : ''}${h?.models ? html`<div class="muted">models: ${h.models.join(', ')}</div>` : ''}
    </td>
    <td data-label="Delivered">${s ? formatCount(s.delivered) : '0'}</td>
    <td data-label="Last delivery">
      ${s?.last_delivery ? html`${timeTag(s.last_delivery.at, true)} · ${s.last_delivery.type} → ${s.last_delivery.status}` : '—'}
    </td>
  </tr>`;
}

export function webhooksPage(view: View): Rendered {
  const hooks = view.now.loaded.state.registry.webhooks ?? [];
  const saved = new Map(readAllStatusSync(view.deps.repo.gitdir).map((s) => [s.name, s]));
  const rows: Html[] = hooks.map((h) => row(h, saved.get(h.name)));
  for (const [name, s] of saved) if (!hooks.some((h) => h.name === name)) rows.push(row(undefined, s));
  const parked = [...saved.values()].filter((s) => s.state === 'parked' && hooks.some((h) => h.name === s.name));
  const body = html`<div class="page-head">
      <div>
        <div class="title"><h1>Webhooks</h1></div>
        <div class="sub">
          <span
            >Configured in <code>registry.yaml</code>; delivered by <code>mreg notify</code>, at least once and in
            order.</span
          >
        </div>
      </div>
    </div>
    ${
      parked.length
        ? html`<div class="banner error" role="alert">
            <strong>${parked.length === 1 ? 'A webhook is parked' : `${parked.length} webhooks are parked`}</strong>:
            ${parked.map((s) => s.name).join(', ')} — deliveries are retried every few minutes; the others carry on.
          </div>`
        : ''
    }
    <section aria-label="Webhooks">
      ${
        rows.length
          ? html`<div class="table-wrap">
              <table class="collapse">
                <caption class="sr-only">
                  Webhooks and their delivery state
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Webhook</th>
                    <th scope="col">State</th>
                    <th scope="col">URL</th>
                    <th scope="col">Events</th>
                    <th scope="col">Delivered</th>
                    <th scope="col">Last delivery</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows}
                </tbody>
              </table>
            </div>`
          : emptyState(
              'No webhooks',
              html`Add a <code>webhooks:</code> section to <code>registry.yaml</code> in a pull request, then run
                <code>mreg notify</code>.`,
            )
      }
    </section>
    ${commandsPanel(
      view,
      [
        { label: 'Where each webhook is', command: mregCommand('notify', [], ['--status']) },
        { label: 'The events themselves', command: mregCommand('events', [], ['--since', 'HEAD~20']) },
      ],
      {
        title: 'On the command line',
        note: html`Secrets stay out of git: each webhook names the environment variable that holds its secret.`,
      },
    )}`;
  return {
    status: 200,
    doc: page(view, { title: 'Webhooks', section: 'webhooks', nowHref: nowHref(view, WEBHOOKS_PATH), body }),
  };
}
