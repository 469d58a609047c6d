// Turns parsed clauses into predicates over registry entities, with MLflow's evaluation rules:
// attributes compare as SQL does (binary `=`/`!=`, LIKE case-sensitive, ILIKE not), a tag clause
// only matches an entity that has the tag, and prompts (§3.9) are left out unless asked for.
import { compileLike } from './like-matcher.js';
import { parseFilter, type Clause } from './parse-filter.js';

export interface SearchableModel {
  name: string;
  tags: Readonly<Record<string, string>>;
}

export interface SearchableVersion {
  name: string;
  version: number;
  run_id: string;
  source: string;
  tags: Readonly<Record<string, string>>;
  /** Lineage beyond MLflow's ('' when the version has none); absent reads as ''. */
  digest?: string;
  code_commit?: string;
  dataset?: string;
  user_id?: string;
}

/** The tag MLflow 3's prompt registry puts on prompt models and their versions. */
const PROMPT_TAG_KEY = 'mlflow.prompt.is_prompt';

type Test<T> = (value: T) => boolean;

function stringTest(c: Clause): Test<string> {
  const { comparator, value } = c;
  if (comparator === 'IN') {
    const set = new Set(value as readonly string[]);
    return (s) => set.has(s);
  }
  const v = value as string;
  switch (comparator) {
    case '=':
      return (s) => s === v;
    case '!=':
      return (s) => s !== v;
    case 'LIKE':
      return compileLike(v, false);
    default: // ILIKE: the parser admits nothing else
      return compileLike(v, true);
  }
}

function numberTest(c: Clause): Test<number> {
  const v = c.value as number;
  switch (c.comparator) {
    case '=':
      return (n) => n === v;
    case '!=':
      return (n) => n !== v;
    case '<':
      return (n) => n < v;
    case '<=':
      return (n) => n <= v;
    case '>':
      return (n) => n > v;
    default:
      return (n) => n >= v;
  }
}

/**
 * A tag clause. MLflow joins on the tag table, so an entity without the key never matches, even
 * for `!=`. The prompt key is the exception: there an absent tag reads as 'false', so the clause
 * the Python client appends (`!= 'true'`) keeps every ordinary model.
 */
function tagTest(c: Clause): Test<{ tags: Readonly<Record<string, string>> }> {
  const test = stringTest(c);
  const key = c.key;
  const absent = key === PROMPT_TAG_KEY ? 'false' : undefined;
  return (e) => {
    const v = Object.hasOwn(e.tags, key) ? e.tags[key] : absent;
    return v !== undefined && test(v);
  };
}

/**
 * MLflow's `_is_querying_prompt`, read as the spec words it: prompts are included only when some
 * clause on the prompt tag selects them (`= 'true'` or `!= 'false'`, value in any case).
 */
function isQueryingPrompts(clauses: readonly Clause[]): boolean {
  return clauses.some(
    (c) =>
      c.entity === 'tag' &&
      c.key === PROMPT_TAG_KEY &&
      typeof c.value === 'string' &&
      ((c.comparator === '=' && c.value.toLowerCase() === 'true') ||
        (c.comparator === '!=' && c.value.toLowerCase() === 'false')),
  );
}

function isPrompt(e: { tags: Readonly<Record<string, string>> }): boolean {
  return Object.hasOwn(e.tags, PROMPT_TAG_KEY) && e.tags[PROMPT_TAG_KEY] === 'true';
}

function combine<T extends { tags: Readonly<Record<string, string>> }>(
  clauses: readonly Clause[],
  tests: Test<T>[],
): Test<T> {
  if (!isQueryingPrompts(clauses)) tests.unshift((e) => !isPrompt(e));
  return (e) => tests.every((t) => t(e));
}

/**
 * Parses and compiles an MLflow registered-model filter (absent or `''` = every model that is not
 * a prompt).
 * @throws RegistryError INVALID_PARAMETER_VALUE with MLflow's message for a filter MLflow rejects.
 * @example compileModelFilter("name LIKE 'fraud-%' AND tags.team = 'risk'")({ name: 'fraud-a', tags: { team: 'risk' } }) // true
 */
export function compileModelFilter(filter: string | undefined | null): (m: SearchableModel) => boolean {
  const clauses = parseFilter(filter, 'model');
  const tests = clauses.map((c): Test<SearchableModel> => {
    if (c.entity === 'tag') return tagTest(c);
    const test = stringTest(c); // the only model attribute is `name`
    return (m) => test(m.name);
  });
  return combine(clauses, tests);
}

/**
 * Parses and compiles an MLflow model-version filter (absent or `''` = every version that is not a
 * prompt's). Deleted versions are the caller's to leave out.
 * @throws RegistryError INVALID_PARAMETER_VALUE with MLflow's message for a filter MLflow rejects.
 * @example compileVersionFilter("name = 'fraud' AND version_number >= 3")
 */
export function compileVersionFilter(filter: string | undefined | null): (v: SearchableVersion) => boolean {
  const clauses = parseFilter(filter, 'version');
  const tests = clauses.map((c): Test<SearchableVersion> => {
    if (c.entity === 'tag') return tagTest(c);
    if (c.key === 'version_number') {
      const test = numberTest(c);
      return (v) => test(v.version);
    }
    const test = stringTest(c);
    if (c.key === 'run_id') return (v) => test(v.run_id);
    if (c.key === 'source_path') return (v) => test(v.source);
    if (c.key === 'digest') return (v) => test(v.digest ?? '');
    if (c.key === 'code_commit') return (v) => test(v.code_commit ?? '');
    if (c.key === 'dataset') return (v) => test(v.dataset ?? '');
    if (c.key === 'user_id') return (v) => test(v.user_id ?? '');
    return (v) => test(v.name);
  });
  return combine(clauses, tests);
}
