// One line per event, for people: `mreg events` without --json, notify's log, the UI.
import type { RegistryEvent } from './types.js';

function quote(v: unknown, max = 60): string {
  const s = String(v ?? '');
  const line = s.split('\n')[0]!;
  return `"${line.length > max ? line.slice(0, max - 1) + '…' : line}${s.includes('\n') ? ' …' : ''}"`;
}

/** What happened, e.g. `fraud v7: Staging → Production`. */
export function describeEvent(e: RegistryEvent): string {
  const d = e.data;
  const who =
    e.version !== undefined && !e.type.startsWith('model_version_alias') ? `${e.model} v${e.version}` : `${e.model}`;
  switch (e.type) {
    case 'registered_model.created':
      return `${who}: model created`;
    case 'registered_model.renamed':
      return `${String(d.previous_name)}: renamed to ${who}`;
    case 'registered_model.deleted':
      return `${who}: model deleted`;
    case 'registered_model.description_updated':
    case 'model_version.description_updated':
      return d.description ? `${who}: description ${quote(d.description)}` : `${who}: description cleared`;
    case 'registered_model_tag.set':
    case 'model_version_tag.set':
      return `${who}: tag ${String(d.key)} = ${quote(d.value)}`;
    case 'registered_model_tag.deleted':
    case 'model_version_tag.deleted':
      return `${who}: tag ${String(d.key)} deleted`;
    case 'model_version.created':
      return `${who}: registered from ${String(d.source)}`;
    case 'model_version.deleted':
      return `${who}: deleted`;
    case 'model_version.stage_transitioned':
      return `${who}: ${String(d.from_stage)} → ${String(d.to_stage)}`;
    case 'model_version_alias.created':
      return `${who}: alias @${String(d.alias)} → v${String(d.version)}${d.previous_version !== undefined ? ` (was v${String(d.previous_version)})` : ''}`;
    case 'model_version_alias.deleted':
      return `${who}: alias @${String(d.alias)} deleted (was v${String(d.previous_version)})`;
    case 'registry.policies_changed':
      return 'registry: policies changed';
  }
}
