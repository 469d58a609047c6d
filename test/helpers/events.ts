// Helpers for event tests: a consumer that applies events to its own picture of the registry, and the same
// picture read from a commit, so a test can say "whoever applied every event now holds the tip's state".
import type { RegistryEvent } from '../../src/events/types.js';
import { GitReader } from '../../src/store/git/reader.js';
import { loadCommit } from '../../src/store/load.js';

interface PictureVersion {
  stage: string;
  description: string;
  tags: Record<string, string>;
}
interface PictureModel {
  description: string;
  tags: Record<string, string>;
  aliases: Record<string, number>;
  versions: Record<number, PictureVersion>;
}
export interface Picture {
  policies: unknown;
  models: Record<string, PictureModel>;
}

function emptyPicture(): Picture {
  return { policies: {}, models: {} };
}

/** Applies one event as a consumer would, by its type and MLflow payload fields only. */
function applyEvent(p: Picture, e: RegistryEvent): void {
  const d = e.data as Record<string, unknown> & { name: string; version?: string };
  const model = (): PictureModel => {
    const m = p.models[d.name];
    if (!m) throw new Error(`event ${e.id} (${e.type}) names model ${d.name}, which the consumer does not know`);
    return m;
  };
  const version = (): PictureVersion => {
    const v = model().versions[Number(d.version)];
    if (!v)
      throw new Error(`event ${e.id} (${e.type}) names ${d.name} v${d.version}, which the consumer does not know`);
    return v;
  };
  switch (e.type) {
    case 'registry.policies_changed':
      p.policies = d.policies;
      return;
    case 'registered_model.created':
      p.models[d.name] = {
        description: (d.description as string | null) ?? '',
        tags: { ...(d.tags as Record<string, string>) },
        aliases: {},
        versions: {},
      };
      return;
    case 'registered_model.renamed': {
      const prev = d.previous_name as string;
      const m = p.models[prev];
      if (!m) throw new Error(`rename of unknown model ${prev}`);
      delete p.models[prev];
      p.models[d.name] = m;
      return;
    }
    case 'registered_model.deleted':
      model();
      delete p.models[d.name];
      return;
    case 'registered_model.description_updated':
      model().description = d.description as string;
      return;
    case 'registered_model_tag.set':
      model().tags[d.key as string] = d.value as string;
      return;
    case 'registered_model_tag.deleted':
      delete model().tags[d.key as string];
      return;
    case 'model_version.created':
      model().versions[Number(d.version)] = {
        stage: 'None',
        description: (d.description as string | null) ?? '',
        tags: { ...(d.tags as Record<string, string>) },
      };
      return;
    case 'model_version.deleted':
      version();
      delete model().versions[Number(d.version)];
      return;
    case 'model_version.description_updated':
      version().description = d.description as string;
      return;
    case 'model_version.stage_transitioned':
      version().stage = d.to_stage as string;
      return;
    case 'model_version_tag.set':
      version().tags[d.key as string] = d.value as string;
      return;
    case 'model_version_tag.deleted':
      delete version().tags[d.key as string];
      return;
    case 'model_version_alias.created':
      model().aliases[d.alias as string] = Number(d.version);
      return;
    case 'model_version_alias.deleted':
      delete model().aliases[d.alias as string];
      return;
  }
}

export function replay(events: Iterable<RegistryEvent>, start: Picture = emptyPicture()): Picture {
  for (const e of events) applyEvent(start, e);
  return start;
}

/** The picture of the registry at a commit, read by the store's loader. */
export async function pictureAt(dir: string, commit: string): Promise<Picture> {
  const repo = await GitReader.open(dir);
  const loaded = await loadCommit(repo, commit);
  const out: Picture = { policies: loaded.state.registry.policies ?? {}, models: {} };
  for (const [name, e] of loaded.state.models) {
    const versions: Record<number, PictureVersion> = {};
    for (const [n, v] of e.versions)
      versions[n] = { stage: v.stage, description: v.description ?? '', tags: { ...(v.tags ?? {}) } };
    out.models[name] = {
      description: e.file.description ?? '',
      tags: { ...(e.file.tags ?? {}) },
      aliases: { ...e.aliases },
      versions,
    };
  }
  return out;
}

/**
 * Appends `count` commits to `branch` of the repository at `dir` with native `git fast-import`, each registering
 * the next version of model `model` (which must not exist yet: the first commit creates it): hundreds of
 * commits in well under a second, where as many library writes take tens of seconds on a busy machine.
 */
export async function importVersions(dir: string, model: string, count: number, branch = 'main'): Promise<void> {
  const { spawn } = await import('node:child_process');
  const iso = (i: number): string => new Date(Date.UTC(2026, 1, 1) + i * 1000).toISOString();
  const file = (p: string, text: string): string => `M 100644 inline ${p}\ndata ${Buffer.byteLength(text)}\n${text}\n`;
  let stream = '';
  for (let v = 1; v <= count; v++) {
    const msg = `${model}: v${v} registered\n`;
    const t = Math.floor(Date.UTC(2026, 1, 1) / 1000) + v;
    stream += `commit refs/heads/${branch}\nauthor Importer <importer@example.com> ${t} +0000\ncommitter Importer <importer@example.com> ${t} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}`;
    if (v === 1) stream += `from refs/heads/${branch}^0\n`;
    // Format 2: model.yaml is written once, with the first version.
    if (v === 1)
      stream += file(`models/${model}/model.yaml`, `name: ${model}\ncreated_at: ${iso(0)}\nupdated_at: ${iso(0)}\n`);
    stream += file(
      `models/${model}/versions/${v}.yaml`,
      `version: ${v}\nsource: s3://bucket/${model}/${v}\nstage: None\nstatus: READY\ncreated_at: ${iso(v)}\nupdated_at: ${iso(v)}\n`,
    );
    stream += '\n';
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', ['fast-import', '--quiet'], { cwd: dir, stdio: ['pipe', 'inherit', 'inherit'] });
    child.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`git fast-import exited ${c}`))));
    child.stdin.end(stream + 'done\n');
  });
}
