// `models:/` URIs (spec §5), parsed as MLflow's client parses them: urllib's urlparse, then
// ModelsArtifactRepository.split_models_uri (which splits off a trailing artifact path), then
// _parse_model_uri. No percent-decoding: MLflow does none either, so a name is written verbatim.
import { RegistryError } from '../errors.js';
import { pyStrip } from './filter/python-compat.js';

export type ModelUri =
  | {
      kind: 'version';
      name: string;
      /** digits as given: `01` stays `01` */ version: string;
      /** trailing artifact path, '' if none */ path: string;
    }
  | { kind: 'latest'; name: string; path: string }
  | { kind: 'stage'; name: string; /** as given; canonicalize with `stages.ts` */ stage: string; path: string }
  | { kind: 'alias'; name: string; alias: string; path: string };

function improper(uri: string, hint = ''): RegistryError {
  return RegistryError.invalid(
    `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/model_name/suffix' or 'models:/model_name@alias' where suffix is a model version, stage, or the string 'latest' and where alias is a registered model alias. Only one of suffix or alias can be defined at a time.${hint}`,
    { uri },
  );
}

const LOGGED_MODEL_HINT =
  ' mreg does not support MLflow 3 logged-model URIs (models:/<model_id>): name a registered model and a version, stage, latest or @alias.';
const AUTHORITY_HINT =
  " mreg does not support 'models://<profile>@databricks/...' URIs: write 'models:/name/...' for this registry.";

const DIGITS = /^[0-9]+$/;

/**
 * urllib.parse.urlparse, reduced to what a models:/ URI needs. `models` is not one of urllib's
 * `uses_params` schemes, so `;` is an ordinary character.
 */
function urlParts(raw: string, allowFragments: boolean): { scheme: string; netloc: string; path: string } {
  // urlsplit removes tabs and newlines anywhere, and C0 controls and spaces in front.
  let url = raw.replace(/[\t\r\n]/g, '');
  let start = 0;
  while (start < url.length && url.charCodeAt(start) <= 0x20) start++;
  url = url.slice(start);
  let scheme = '';
  const colon = url.indexOf(':');
  if (colon > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(url.slice(0, colon))) {
    scheme = url.slice(0, colon).toLowerCase();
    url = url.slice(colon + 1);
  }
  let netloc = '';
  if (url.startsWith('//')) {
    let end = url.length;
    for (const d of ['/', '?', '#']) {
      const k = url.indexOf(d, 2);
      if (k >= 0 && k < end) end = k;
    }
    netloc = url.slice(2, end);
    url = url.slice(end);
  }
  for (const d of allowFragments ? ['#', '?'] : ['?']) {
    const k = url.indexOf(d);
    if (k >= 0) url = url.slice(0, k);
  }
  return { scheme, netloc, path: url };
}

/**
 * Parses a `models:/` URI: `models:/<name>/<version>`, `models:/<name>/latest` (any case),
 * `models:/<name>/<stage>`, `models:/<name>@<alias>` (alias after the last `@`), each optionally
 * followed by `/<artifact path>`.
 * @throws RegistryError INVALID_PARAMETER_VALUE `Not a proper models:/ URI: …` for anything else,
 * including MLflow 3's one-segment `models:/<model_id>` and `models://<profile>@databricks/…`.
 * @example parseModelUri('models:/fraud@champion') // { kind: 'alias', name: 'fraud', alias: 'champion', path: '' }
 */
export function parseModelUri(uri: string): ModelUri {
  if (typeof uri !== 'string') throw improper(String(uri));
  // split_models_uri: strip trailing slashes, then split off the artifact path when there is one.
  let end = uri.length;
  while (end > 0 && uri[end - 1] === '/') end--;
  const stripped = uri.slice(0, end);
  const { scheme, netloc, path } = urlParts(stripped, true);
  if (scheme !== 'models') throw improper(uri);
  if (netloc !== '') throw improper(uri, AUTHORITY_HINT);

  let base: string;
  let artifactPath = '';
  if (countSlashes(path) >= 2 && !path.endsWith('/')) {
    const splits = splitMax(path, '/', 3);
    const cut = splits[1]!.includes('@') ? 2 : 3;
    base = splits.slice(0, cut).join('/');
    artifactPath = splits.slice(cut).join('/');
  } else {
    // Unsplit, the URI is parsed again, this time keeping '#' (allow_fragments=False).
    base = urlParts(stripped, false).path;
  }

  // _parse_model_uri
  if (!base.startsWith('/') || base.length <= 1) throw improper(uri);
  let lead = 0;
  while (base[lead] === '/') lead++;
  const parts = base.slice(lead).split('/');
  if (parts.length > 2 || pyStrip(parts[0]!) === '') throw improper(uri);
  if (parts.length === 2) {
    const [name, suffix] = parts as [string, string];
    if (pyStrip(suffix) === '') throw improper(uri);
    // Python's str.isdigit() also accepts non-ASCII digits ('٣'); here they make a stage name.
    if (DIGITS.test(suffix)) return { kind: 'version', name, version: suffix, path: artifactPath };
    if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name, path: artifactPath };
    return { kind: 'stage', name, stage: suffix, path: artifactPath };
  }
  const only = parts[0]!;
  const at = only.lastIndexOf('@');
  if (at < 0) throw improper(uri, LOGGED_MODEL_HINT);
  const name = only.slice(0, at);
  const alias = only.slice(at + 1);
  // MLflow itself lets `models:/@alias` through with an empty name; no model has that name.
  if (pyStrip(alias) === '' || pyStrip(name) === '') throw improper(uri);
  return { kind: 'alias', name, alias, path: artifactPath };
}

function countSlashes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('/'); i >= 0; i = s.indexOf('/', i + 1)) n++;
  return n;
}

/** Python's `s.split(sep, maxsplit)`. */
function splitMax(s: string, sep: string, maxsplit: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < maxsplit) {
    const k = rest.indexOf(sep);
    if (k < 0) break;
    out.push(rest.slice(0, k));
    rest = rest.slice(k + sep.length);
  }
  out.push(rest);
  return out;
}

// Characters that urlparse would cut or drop, wherever they appear.
const UNSAFE = /[?#\t\r\n]/;

function unrepresentable(u: ModelUri, what: string): RegistryError {
  return RegistryError.invalid(
    `Cannot write a models:/ URI for ${what}: MLflow's URI parser would read it back differently.`,
    { uri: u },
  );
}

/**
 * Writes a `models:/` URI that `parseModelUri` reads back as `u`.
 * @throws RegistryError INVALID_PARAMETER_VALUE when a part cannot be written (a `/`, `?`, `#`, tab
 * or newline in a name; an `@` in the name of a non-alias URI; a stage that reads as a version or
 * `latest`; a blank part; an artifact path ending in `/`).
 * @example formatModelUri({ kind: 'version', name: 'fraud', version: '3', path: '' }) // 'models:/fraud/3'
 */
export function formatModelUri(u: ModelUri): string {
  const blank = (s: string): boolean => pyStrip(s) === '';
  const segmentOk = (s: string): boolean => !blank(s) && !s.includes('/') && !UNSAFE.test(s);
  if (!segmentOk(u.name)) throw unrepresentable(u, `the model name '${u.name}'`);
  if (u.path !== '' && (UNSAFE.test(u.path) || u.path.endsWith('/')))
    throw unrepresentable(u, `the artifact path '${u.path}'`);
  const tail = u.path === '' ? '' : `/${u.path}`;
  if (u.kind === 'alias') {
    if (!segmentOk(u.alias) || u.alias.includes('@')) throw unrepresentable(u, `the alias '${u.alias}'`);
    return `models:/${u.name}@${u.alias}${tail}`;
  }
  if (u.name.includes('@')) throw unrepresentable(u, `the model name '${u.name}' outside an @alias URI`);
  let suffix: string;
  if (u.kind === 'version') {
    if (!DIGITS.test(u.version)) throw unrepresentable(u, `the version '${u.version}'`);
    suffix = u.version;
  } else if (u.kind === 'latest') suffix = 'latest';
  else {
    if (!segmentOk(u.stage) || DIGITS.test(u.stage) || u.stage.toLowerCase() === 'latest')
      throw unrepresentable(u, `the stage '${u.stage}'`);
    suffix = u.stage;
  }
  return `models:/${u.name}/${suffix}${tail}`;
}
