import { describe, expect, it } from 'vitest';
import { policyChanges } from '../../src/domain/policy-diff.js';
import type { RegistryFile } from '../../src/domain/state.js';

const reg = (policies?: RegistryFile['policies']): RegistryFile =>
  policies ? { format_version: 2, policies } : { format_version: 2 };

describe('policyChanges', () => {
  it.each<[string, RegistryFile['policies'], RegistryFile['policies'], Array<[string, boolean]>]>([
    ['no policies either side', undefined, undefined, []],
    [
      'the same rules in another order',
      { transitions: { Production: ['Staging', 'None'] } },
      { transitions: { Production: ['None', 'Staging'] } },
      [],
    ],
    [
      'a transition rule added',
      undefined,
      { transitions: { Production: ['Staging'] } },
      [['transitions.Production', false]],
    ],
    ['a transition rule removed', { transitions: { Production: ['Staging'] } }, {}, [['transitions.Production', true]]],
    [
      'a transition source added',
      { transitions: { Production: ['Staging'] } },
      { transitions: { Production: ['Staging', 'None'] } },
      [['transitions.Production', true]],
    ],
    [
      'a transition source dropped',
      { transitions: { Production: ['Staging', 'None'] } },
      { transitions: { Production: ['Staging'] } },
      [['transitions.Production', false]],
    ],
    [
      'a limit raised',
      { max_versions_per_stage: { Production: 1 } },
      { max_versions_per_stage: { Production: 2 } },
      [['max_versions_per_stage.Production', true]],
    ],
    [
      'a limit lowered',
      { max_versions_per_stage: { Production: 2 } },
      { max_versions_per_stage: { Production: 1 } },
      [['max_versions_per_stage.Production', false]],
    ],
    ['a limit removed', { max_versions_per_stage: { Staging: 0 } }, {}, [['max_versions_per_stage.Staging', true]]],
    [
      'a required field dropped',
      { required_fields: { Production: ['digest', 'run_id'] } },
      { required_fields: { Production: ['run_id'] } },
      [['required_fields.Production', true]],
    ],
    [
      'a required field added',
      { required_fields: { Production: ['run_id'] } },
      { required_fields: { Production: ['run_id', 'digest'] } },
      [['required_fields.Production', false]],
    ],
    [
      'a protected branch added',
      { protected: [{ branches: ['main'], stages: ['Production'] }] },
      { protected: [{ branches: ['main', 'dev'], stages: ['Production'] }] },
      [['protected', true]],
    ],
    [
      'a protected alias dropped',
      { protected: [{ branches: ['main'], aliases: ['champion'] }] },
      { protected: [{ branches: ['main'] }] },
      [['protected', true]],
    ],
    [
      'a stage newly protected',
      { protected: [{ branches: ['main'], stages: ['Production'] }] },
      { protected: [{ branches: ['main'], stages: ['Production', 'Staging'] }] },
      [['protected', false]],
    ],
    [
      'several rules at once, in order',
      { transitions: { Staging: ['None'] }, max_versions_per_stage: { Production: 1 } },
      { max_versions_per_stage: { Production: 3 }, required_fields: { Staging: ['digest'] } },
      [
        ['transitions.Staging', true],
        ['max_versions_per_stage.Production', true],
        ['required_fields.Staging', false],
      ],
    ],
  ])('%s', (_title, before, after, want) => {
    expect(policyChanges(reg(before), reg(after)).map((c) => [c.rule, c.relaxed])).toEqual(want);
  });

  it('says what each rule said and says now', () => {
    expect(
      policyChanges(
        reg({ transitions: { Production: ['Staging'] }, max_versions_per_stage: { Production: 1 } }),
        reg({}),
      ),
    ).toEqual([
      { rule: 'transitions.Production', before: 'only from Staging', after: 'from any stage', relaxed: true },
      { rule: 'max_versions_per_stage.Production', before: 'at most 1', after: 'no limit', relaxed: true },
    ]);
  });
});
