// Who is calling: the credentials MLflow's client already sends. `Authorization: Bearer <token>` comes from
// MLFLOW_TRACKING_TOKEN; `Authorization: Basic base64(user:password)` from MLFLOW_TRACKING_USERNAME and
// MLFLOW_TRACKING_PASSWORD (the client prefers Basic when all three are set), where the password is the token
// and the user must be the token's name or email. Nothing here logs or echoes a credential.
import { errorReply, type Reply, type RequestInput } from '../daemon/http/reply.js';
import { FailureThrottle } from './throttle.js';
import type { TokenRecord, TokenStore } from './tokens.js';

const CHALLENGE: ReadonlyArray<readonly [string, string]> = [
  ['WWW-Authenticate', 'Basic realm="mreg", charset="UTF-8"'],
  ['WWW-Authenticate', 'Bearer realm="mreg"'],
];

const HOW =
  'Send a token made by `mreg token add` as `Authorization: Bearer <token>` (MLflow: MLFLOW_TRACKING_TOKEN) or as the password of Basic authentication (MLFLOW_TRACKING_USERNAME = the token name, MLFLOW_TRACKING_PASSWORD = the token).';

export type Caller = { record: TokenRecord } | { reply: Reply } | { anonymous: true };

export class Authenticator {
  constructor(
    private readonly tokens: TokenStore,
    private readonly throttle: FailureThrottle = new FailureThrottle(),
    private readonly onBlocked: (client: string, ms: number) => void = () => undefined,
  ) {}

  /** The caller's token record; a Reply (401, 429) for bad credentials; anonymous without any. */
  identify(input: RequestInput): Caller {
    const header = input.header('authorization');
    if (header === undefined || header.trim() === '') return { anonymous: true };
    const client = input.remoteAddress ?? 'unknown';
    const wait = this.throttle.blockedFor(client);
    if (wait > 0) {
      return {
        reply: errorReply(
          'REQUEST_LIMIT_EXCEEDED',
          `Too many failed authentications from this client; retry in ${Math.ceil(wait / 1000)} s.`,
          429,
          [['Retry-After', String(Math.ceil(wait / 1000))]],
        ),
      };
    }
    const credentials = parseAuthorization(header);
    const record = credentials && this.tokens.verify(credentials.token);
    const userMatches = !credentials?.user || credentials.user === record?.name || credentials.user === record?.email;
    if (!credentials || !record || !userMatches) {
      const block = this.throttle.failed(client);
      if (block > 0) this.onBlocked(client, block);
      const why = !credentials
        ? 'the Authorization header is neither Bearer nor Basic with a password'
        : !record
          ? 'the token is unknown or revoked'
          : "the Basic user name is not the token's name or email";
      return { reply: unauthenticated(`Authentication failed: ${why}. ${HOW}`) };
    }
    this.throttle.succeeded(client);
    return { record };
  }

  /** A writer's record, or the Reply: 401 without (valid) credentials, 403 for a reader. */
  writer(input: RequestInput): TokenRecord | Reply {
    const who = this.identify(input);
    if ('reply' in who) return who.reply;
    if ('anonymous' in who) return unauthenticated(`This write needs a token. ${HOW}`);
    if (who.record.role !== 'writer')
      return errorReply(
        'PERMISSION_DENIED',
        `Token '${who.record.name}' has the role ${who.record.role}: it may read, not write. A writer token is made by \`mreg token add NAME --email EMAIL --role writer\`.`,
        403,
      );
    return who.record;
  }

  /** For a private gateway's reads: undefined when any valid token is present, else the Reply. */
  reader(input: RequestInput): Reply | undefined {
    const who = this.identify(input);
    if ('reply' in who) return who.reply;
    if ('anonymous' in who) return unauthenticated(`This gateway is private: reads need a token too. ${HOW}`);
    return undefined;
  }
}

function unauthenticated(message: string): Reply {
  return errorReply('UNAUTHENTICATED', message, 401, CHALLENGE);
}

/** The token (and Basic's user) from an Authorization header, or undefined when it carries none. */
export function parseAuthorization(header: string): { token: string; user?: string } | undefined {
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'bearer') return { token: m[2]! };
  if (scheme !== 'basic') return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(m[2]!)) return undefined;
  const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const password = decoded.slice(colon + 1);
  if (password === '') return undefined;
  return { token: password, user: decoded.slice(0, colon) };
}
