// POST /api/v1/hooks/git: a git host's push webhook, for a daemon that follows it (`serve --remote`). A push
// checked with the host's own scheme starts a fetch at once instead of at the next poll:
//   GitHub (and Gitea, Forgejo): X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed by the secret>
//   GitLab: X-Gitlab-Token: <the secret>
// The secret comes from the environment (MREG_GIT_HOOK_SECRET, read by daemon/config.ts); without it the route
// refuses everything. Answers 202 as soon as the fetch is started: the host does not wait for the reload.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { errorReply, type Reply, type RequestInput } from './reply.js';

export interface GitHookDeps {
  /** Set when the daemon follows a remote. */
  remote: boolean;
  branch: string;
  secret: string | undefined;
  /** Starts a fetch now (coalesced with one in flight). */
  fetchNow(): void;
  /** Outcomes, for /metrics. */
  counts: GitHookCounts;
}

export interface GitHookCounts {
  accepted: number;
  ignored: number;
  rejected: number;
}

function sameSecret(a: string, b: string): boolean {
  // Compared as digests: equal lengths, and the time taken says nothing about the secret's length.
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

function json(status: number, body: unknown): Reply {
  return { status, body: JSON.stringify(body), contentType: 'application/json', cacheable: false };
}

/** The pushed ref, from a JSON body or GitHub's form encoding (`payload=<json>`); undefined when unknown. */
function pushedRef(body: string, contentType: string | undefined): string | undefined {
  try {
    const text =
      contentType?.startsWith('application/x-www-form-urlencoded') === true
        ? (new URLSearchParams(body).get('payload') ?? '')
        : body;
    const v = JSON.parse(text) as { ref?: unknown };
    return typeof v.ref === 'string' ? v.ref : undefined;
  } catch {
    return undefined;
  }
}

export async function gitHook(input: RequestInput, method: string, d: GitHookDeps): Promise<Reply> {
  if (method !== 'POST')
    return errorReply('BAD_REQUEST', `Method ${method} is not allowed on ${input.path}; allowed: POST.`, 405, [
      ['Allow', 'POST'],
    ]);
  if (!d.remote) {
    d.counts.rejected++;
    return errorReply('ENDPOINT_NOT_FOUND', 'This daemon does not follow a git host (mreg serve --remote URL).', 404);
  }
  if (d.secret === undefined || d.secret === '') {
    d.counts.rejected++;
    return errorReply(
      'PERMISSION_DENIED',
      'The push webhook is disabled: start the daemon with MREG_GIT_HOOK_SECRET set to the secret the git host signs with.',
      403,
    );
  }
  const body = await input.readBody();
  const github = input.header('x-hub-signature-256');
  const gitlab = input.header('x-gitlab-token');
  let ok = false;
  if (github !== undefined) {
    const expected = 'sha256=' + createHmac('sha256', d.secret).update(body, 'utf8').digest('hex');
    ok = sameSecret(github.trim().toLowerCase(), expected);
  } else if (gitlab !== undefined) ok = sameSecret(gitlab, d.secret);
  if (!ok) {
    d.counts.rejected++;
    return errorReply(
      'PERMISSION_DENIED',
      github === undefined && gitlab === undefined
        ? 'Missing X-Hub-Signature-256 (GitHub) or X-Gitlab-Token (GitLab).'
        : 'The push webhook signature does not match.',
      401,
    );
  }
  if (input.header('x-github-event') === 'ping') return json(200, { status: 'pong' });
  const ref = pushedRef(body, input.header('content-type'));
  if (ref !== undefined && ref !== `refs/heads/${d.branch}`) {
    d.counts.ignored++;
    return json(202, {
      status: 'ignored',
      reason: `the push is to ${ref}; this daemon follows refs/heads/${d.branch}`,
    });
  }
  d.counts.accepted++;
  d.fetchNow();
  return json(202, { status: 'fetching' });
}
