// registry.yaml's policies judged on changes built in memory: each rule allowing and refusing, with the exact
// problem (path, JSON pointer, message); the branch a change lands on; renames judged as one model moving.
import { describe, expect, it } from 'vitest';
import { pairRenames } from '../../src/domain/diff.js';
import { deleteRegisteredModel, renameRegisteredModel, setRegisteredModelAlias } from '../../src/domain/ops/models.js';
import {
  createModelVersion,
  deleteModelVersion,
  transitionModelVersionStage,
  updateModelVersion,
} from '../../src/domain/ops/versions.js';
import type { Change } from '../../src/domain/ops/change.js';
import { checkPolicies, type PolicyContext } from '../../src/domain/policies.js';
import type { ModelEntry, RegistryFile } from '../../src/domain/state.js';
import { buildModel, CTX, type ModelSpec } from '../helpers/state.js';

type Policies = NonNullable<RegistryFile['policies']>;

const DEV = { branch: 'dev' };
const MAIN = { branch: 'main' };
const DIGEST = `sha256:${'a'.repeat(64)}`;

/** fraud: v1 Archived, v2 Production (champion), v3 Staging. */
function fraud(spec: ModelSpec = {}, name = 'fraud'): ModelEntry {
  return buildModel(name, {
    aliases: { champion: 2 },
    versions: { 1: 'Archived', 2: 'Production', 3: 'Staging' },
    ...spec,
  });
}

/** The problems `policies` find in what `change` does to fraud, on `ctx`'s branch. */
function judge(policies: Policies | undefined, change: Change, ctx: PolicyContext = DEV, name = 'fraud') {
  const registry: RegistryFile = policies ? { format_version: 2, policies } : { format_version: 2 };
  return checkPolicies(registry, change.before.get(name), change.after.get(name) ?? undefined, ctx);
}

function promote(entry: ModelEntry, n: number, archiveExisting = false): Change {
  return transitionModelVersionStage(CTX, entry, n, 'Production', archiveExisting);
}

/** A change nobody planned: a hand edit of the files, from one model to another. */
function handEdit(before: ModelEntry | undefined, after: ModelEntry | undefined): Change {
  const name = (after ?? before)!.file.name;
  return {
    message: 'hand edit',
    writes: new Map(),
    deletes: new Set(),
    after: new Map([[name, after ?? null]]),
    before: before ? new Map([[name, before]]) : new Map(),
  };
}

const EVERY_RULE: Policies = {
  transitions: { Production: ['Staging'] },
  max_versions_per_stage: { Production: 1 },
  required_fields: { Production: ['digest', 'run_id'] },
  protected: [{ branches: ['main'], stages: ['Production'], aliases: ['champion'] }],
};

describe('without policies', () => {
  it.each([
    ['no policies key', undefined],
    ['an empty policies map', {}],
  ])('%s: nothing is judged', (_, policies) => {
    expect(judge(policies, promote(fraud(), 1))).toEqual([]);
    expect(judge(policies, deleteRegisteredModel(CTX, fraud()))).toEqual([]);
    expect(judge(policies, setRegisteredModelAlias(CTX, fraud(), 'champion', 3)!)).toEqual([]);
  });
});

describe('transitions', () => {
  const policies: Policies = { transitions: { Production: ['Staging'] } };

  it('allows a version into a stage from a listed stage', () => {
    expect(judge(policies, promote(fraud(), 3))).toEqual([]);
  });

  it('refuses it from any other stage, at the version file’s stage', () => {
    expect(judge(policies, promote(fraud(), 1))).toEqual([
      {
        path: 'models/fraud/versions/1.yaml',
        pointer: '/stage',
        message: 'policy: fraud v1 may enter Production only from Staging, not from Archived',
      },
    ]);
  });

  it('names every allowed stage', () => {
    const twoWays: Policies = { transitions: { Production: ['Staging', 'Archived'] } };
    expect(judge(twoWays, promote(fraud({ versions: { 1: 'Archived', 2: 'Production', 3: 'None' } }), 3))).toEqual([
      {
        path: 'models/fraud/versions/3.yaml',
        pointer: '/stage',
        message: 'policy: fraud v3 may enter Production only from Staging or Archived, not from None',
      },
    ]);
  });

  it('lets a version reach a stage that is not listed from anywhere', () => {
    expect(judge(policies, transitionModelVersionStage(CTX, fraud(), 2, 'Archived', false))).toEqual([]);
    expect(judge(policies, transitionModelVersionStage(CTX, fraud(), 1, 'Staging', false))).toEqual([]);
  });

  it('refuses every entry into a stage listed with no stage', () => {
    expect(judge({ transitions: { Production: [] } }, promote(fraud(), 3))).toEqual([
      {
        path: 'models/fraud/versions/3.yaml',
        pointer: '/stage',
        message: 'policy: fraud v3 may not enter Production from any stage (not from Staging)',
      },
    ]);
  });

  it('judges the versions archive_existing moves too', () => {
    expect(judge({ transitions: { Archived: ['Staging'] } }, promote(fraud(), 3, true))).toEqual([
      {
        path: 'models/fraud/versions/2.yaml',
        pointer: '/stage',
        message: 'policy: fraud v2 may enter Archived only from Staging, not from Production',
      },
    ]);
  });

  it('judges a version that appears straight in a stage (a hand edit) as coming from None', () => {
    const before = fraud();
    const after = fraud({ versions: { 1: 'Archived', 2: 'Production', 3: 'Staging', 4: 'Production' } });
    expect(judge(policies, handEdit(before, after))).toEqual([
      {
        path: 'models/fraud/versions/4.yaml',
        pointer: '/stage',
        message: 'policy: fraud v4 may enter Production only from Staging, not from None',
      },
    ]);
  });

  it('never judges a new version in None, nor a version whose stage did not change', () => {
    const noneOnlyFromStaging: Policies = { transitions: { None: ['Staging'], Production: ['Staging'] } };
    expect(judge(noneOnlyFromStaging, createModelVersion(CTX, fraud(), { source: 's3://b/4' }))).toEqual([]);
    // v2 reached Production from None before the policy existed: editing it is not a transition.
    expect(judge(noneOnlyFromStaging, updateModelVersion(CTX, fraud(), 2, 'text'))).toEqual([]);
  });
});

describe('max_versions_per_stage', () => {
  const policies: Policies = { max_versions_per_stage: { Production: 1 } };

  it('refuses a change that puts more versions of a model in a stage than allowed, at the model file', () => {
    expect(judge(policies, promote(fraud(), 3))).toEqual([
      {
        path: 'models/fraud/model.yaml',
        message: 'policy: fraud would have 2 versions in Production; at most 1 allowed',
      },
    ]);
  });

  it('allows the same promotion when archive_existing keeps the count', () => {
    expect(judge(policies, promote(fraud(), 3, true))).toEqual([]);
  });

  it('allows a stage filled up to the limit', () => {
    const toStaging = transitionModelVersionStage(CTX, fraud(), 1, 'Staging', false);
    expect(judge({ max_versions_per_stage: { Staging: 2 } }, toStaging)).toEqual([]);
  });

  it('does not refuse a model already over the limit for a change that does not add to it', () => {
    const crowded = buildModel('fraud', { versions: { 1: 'Production', 2: 'Production', 3: 'Production' } });
    expect(judge(policies, transitionModelVersionStage(CTX, crowded, 1, 'Archived', false))).toEqual([]);
    expect(judge(policies, updateModelVersion(CTX, crowded, 2, 'text'))).toEqual([]);
  });

  it('refuses adding to a model already over the limit', () => {
    const crowded = buildModel('fraud', { versions: { 1: 'Production', 2: 'Production', 3: 'Staging' } });
    expect(judge(policies, promote(crowded, 3))).toEqual([
      {
        path: 'models/fraud/model.yaml',
        message: 'policy: fraud would have 3 versions in Production; at most 1 allowed',
      },
    ]);
  });

  it('counts registrations in None, given the model’s versions', () => {
    const two = buildModel('fraud', { versions: { 1: 'None', 2: 'None' } });
    expect(
      judge({ max_versions_per_stage: { None: 2 } }, createModelVersion(CTX, two, { source: 's3://b/3' })),
    ).toEqual([
      { path: 'models/fraud/model.yaml', message: 'policy: fraud would have 3 versions in None; at most 2 allowed' },
    ]);
  });

  it('with a limit of 0, refuses the first version into the stage', () => {
    const lone = buildModel('churn', { versions: { 1: 'None' } });
    const toStaging = transitionModelVersionStage(CTX, lone, 1, 'Staging', false);
    expect(judge({ max_versions_per_stage: { Staging: 0 } }, toStaging, DEV, 'churn')).toEqual([
      { path: 'models/churn/model.yaml', message: 'policy: churn would have 1 version in Staging; at most 0 allowed' },
    ]);
  });
});

describe('required_fields', () => {
  const policies: Policies = { required_fields: { Production: ['digest', 'run_id'] } };

  it('refuses a version entering the stage without each field, one problem per field', () => {
    expect(judge(policies, promote(fraud(), 3))).toEqual([
      {
        path: 'models/fraud/versions/3.yaml',
        pointer: '/stage',
        message: "policy: fraud v3 needs 'digest' before it can enter Production",
      },
      {
        path: 'models/fraud/versions/3.yaml',
        pointer: '/stage',
        message: "policy: fraud v3 needs 'run_id' before it can enter Production",
      },
    ]);
  });

  it('allows it when the fields are set', () => {
    const ready = fraud({
      versions: { 1: 'Archived', 2: 'Production', 3: { stage: 'Staging', digest: DIGEST, run_id: 'r3' } },
    });
    expect(judge(policies, promote(ready, 3))).toEqual([]);
  });

  it('counts a blank value as unset', () => {
    const blank = fraud({
      versions: { 1: 'Archived', 2: 'Production', 3: { stage: 'Staging', digest: '  ', run_id: 'r3' } },
    });
    expect(judge(policies, promote(blank, 3)).map((p) => p.message)).toEqual([
      "policy: fraud v3 needs 'digest' before it can enter Production",
    ]);
  });

  it('is judged on entry only: a version already in the stage may be edited', () => {
    expect(judge(policies, updateModelVersion(CTX, fraud(), 2, 'text'))).toEqual([]);
  });

  it('applies to whichever stage lists fields', () => {
    const toStaging = transitionModelVersionStage(CTX, fraud(), 1, 'Staging', false);
    expect(judge({ required_fields: { Staging: ['description'] } }, toStaging).map((p) => p.message)).toEqual([
      "policy: fraud v1 needs 'description' before it can enter Staging",
    ]);
  });
});

describe('protected stages', () => {
  const policies: Policies = { protected: [{ branches: ['main'], stages: ['Production'] }] };

  it('refuses a version entering the stage on another branch, naming both branches', () => {
    expect(judge(policies, promote(fraud(), 3), DEV)).toEqual([
      {
        path: 'models/fraud/versions/3.yaml',
        pointer: '/stage',
        message: 'policy: fraud v3 Staging → Production may only change on main (this is dev)',
      },
    ]);
  });

  it('allows it on a listed branch', () => {
    expect(judge(policies, promote(fraud(), 3), MAIN)).toEqual([]);
  });

  it('refuses a version leaving the stage on another branch', () => {
    expect(judge(policies, transitionModelVersionStage(CTX, fraud(), 2, 'Archived', false), DEV)).toEqual([
      {
        path: 'models/fraud/versions/2.yaml',
        pointer: '/stage',
        message: 'policy: fraud v2 Production → Archived may only change on main (this is dev)',
      },
    ]);
  });

  it('refuses on an unknown branch (a detached HEAD), without naming one', () => {
    expect(judge(policies, promote(fraud(), 3), {}).map((p) => p.message)).toEqual([
      'policy: fraud v3 Staging → Production may only change on main',
    ]);
  });

  it('lists every allowed branch, and allows each', () => {
    const two: Policies = { protected: [{ branches: ['main', 'release'], stages: ['Production'] }] };
    expect(judge(two, promote(fraud(), 3), DEV).map((p) => p.message)).toEqual([
      'policy: fraud v3 Staging → Production may only change on main, release (this is dev)',
    ]);
    expect(judge(two, promote(fraud(), 3), { branch: 'release' })).toEqual([]);
  });

  it('leaves other stages free', () => {
    expect(judge(policies, transitionModelVersionStage(CTX, fraud(), 1, 'Staging', false), DEV)).toEqual([]);
  });

  it('refuses deleting a version in the stage on another branch', () => {
    expect(judge(policies, deleteModelVersion(CTX, fraud(), 2), DEV)).toEqual([
      {
        path: 'models/fraud/versions/2.yaml',
        message: 'policy: deleting fraud v2 (in Production) may only happen on main',
      },
    ]);
    expect(judge(policies, deleteModelVersion(CTX, fraud(), 2), MAIN)).toEqual([]);
  });

  it('allows deleting a version in another stage', () => {
    expect(judge(policies, deleteModelVersion(CTX, fraud(), 1), DEV)).toEqual([]);
  });
});

describe('protected aliases', () => {
  const policies: Policies = { protected: [{ branches: ['main'], aliases: ['champion'] }] };
  const problem = {
    path: 'models/fraud/aliases/champion.yaml',
    pointer: '/version',
    message: "policy: alias 'champion' of fraud may only change on main (this is dev)",
  };

  it.each<[string, () => Change]>([
    ['set', () => setRegisteredModelAlias(CTX, fraud({ aliases: {} }), 'champion', 3)!],
    ['moved', () => setRegisteredModelAlias(CTX, fraud(), 'champion', 3)!],
    ['dropped with its version', () => deleteModelVersion(CTX, fraud(), 2)],
  ])('refuses the alias being %s on another branch', (_, change) => {
    expect(judge(policies, change(), DEV)).toEqual([problem]);
    expect(judge(policies, change(), MAIN)).toEqual([]);
  });

  it('leaves other aliases free, and an alias that does not change', () => {
    expect(judge(policies, setRegisteredModelAlias(CTX, fraud(), 'challenger', 3)!, DEV)).toEqual([]);
  });
});

describe('deleting a model', () => {
  const message = 'policy: deleting fraud removes protected stages or aliases, which may only change on main';

  it('refuses it on another branch when a version is in a protected stage', () => {
    const policies: Policies = { protected: [{ branches: ['main'], stages: ['Production'] }] };
    expect(judge(policies, deleteRegisteredModel(CTX, fraud({ aliases: {} })), DEV)).toEqual([
      { path: 'models/fraud/model.yaml', message },
    ]);
  });

  it('refuses it on another branch when it has a protected alias', () => {
    const policies: Policies = { protected: [{ branches: ['main'], aliases: ['champion'] }] };
    const noProduction = fraud({ versions: { 1: 'Archived', 2: 'None', 3: 'Staging' } });
    expect(judge(policies, deleteRegisteredModel(CTX, noProduction), DEV)).toEqual([
      { path: 'models/fraud/model.yaml', message },
    ]);
  });

  it('allows it on a listed branch, or when nothing it holds is protected', () => {
    expect(judge(EVERY_RULE, deleteRegisteredModel(CTX, fraud()), MAIN)).toEqual([]);
    const plain = buildModel('fraud', { versions: { 1: 'Archived', 2: 'Staging' } });
    expect(judge(EVERY_RULE, deleteRegisteredModel(CTX, plain), DEV)).toEqual([]);
  });
});

describe('a new model', () => {
  it('with its first version in None breaks no rule', () => {
    const created = createModelVersion(CTX, buildModel('fraud'), { source: 's3://b/1' });
    expect(judge(EVERY_RULE, handEdit(undefined, created.after.get('fraud')!), DEV)).toEqual([]);
  });
});

describe('a rename', () => {
  const rename = () => renameRegisteredModel(CTX, fraud(), undefined, 'fraud2');

  it('is recognised: the model deleted and the model created are paired', () => {
    const change = rename();
    const [before, after] = [change.before.get('fraud')!, change.after.get('fraud2')!];
    expect(pairRenames([before], [after])).toEqual([[before, after]]);
  });

  it('is not a protected change: judged as one model moving, it breaks no rule on any branch', () => {
    const change = rename();
    expect(
      checkPolicies(
        { format_version: 2, policies: EVERY_RULE },
        change.before.get('fraud'),
        change.after.get('fraud2')!,
        DEV,
      ),
    ).toEqual([]);
  });

  it('would be refused if judged as a deletion and an unrelated creation, which is why it is paired', () => {
    const change = rename();
    const registry: RegistryFile = { format_version: 2, policies: EVERY_RULE };
    expect(checkPolicies(registry, change.before.get('fraud'), undefined, DEV).map((p) => p.message)).toEqual([
      'policy: deleting fraud removes protected stages or aliases, which may only change on main',
    ]);
    expect(checkPolicies(registry, undefined, change.after.get('fraud2')!, DEV).map((p) => p.message)).toEqual([
      'policy: fraud2 v2 may enter Production only from Staging, not from None',
      "policy: fraud2 v2 needs 'digest' before it can enter Production",
      "policy: fraud2 v2 needs 'run_id' before it can enter Production",
      'policy: fraud2 v2 None → Production may only change on main (this is dev)',
      "policy: alias 'champion' of fraud2 may only change on main (this is dev)",
    ]);
  });

  it('still judges what else changed in the same edit (a hand-made rename that also promotes)', () => {
    const renamed = rename().after.get('fraud2')!;
    const promoted = promote(renamed, 3).after.get('fraud2')!;
    const before = fraud();
    expect(pairRenames([before], [promoted])).toEqual([[before, promoted]]);
    const policies: Policies = { protected: [{ branches: ['main'], stages: ['Production'] }] };
    expect(checkPolicies({ format_version: 2, policies }, before, promoted, DEV)).toEqual([
      {
        path: 'models/fraud2/versions/3.yaml',
        pointer: '/stage',
        message: 'policy: fraud2 v3 Staging → Production may only change on main (this is dev)',
      },
    ]);
  });

  it.each<[string, ModelSpec]>([
    ['another creation time', { created_at: '2025-06-01T00:00:00.000Z' }],
    ['other version numbers', { latest_version: 3, versions: { 1: 'Archived', 3: 'Staging' } }],
    ['another latest_version', { latest_version: 7 }],
  ])('pairs nothing with a created model that has %s', (_, spec) => {
    expect(pairRenames([fraud()], [fraud(spec, 'fraud2')])).toEqual([]);
  });
});

describe('the registry judging', () => {
  it('is the one passed in: each side’s policies can be applied to the same change (base and target)', () => {
    const change = promote(fraud(), 1);
    const base: Policies = { transitions: { Production: ['Staging'] } };
    const relaxed: Policies = {};
    expect(judge(base, change).map((p) => p.message)).toEqual([
      'policy: fraud v1 may enter Production only from Staging, not from Archived',
    ]);
    expect(judge(relaxed, change)).toEqual([]);
  });
});
