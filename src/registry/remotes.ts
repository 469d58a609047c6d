// What the library tells its callers about remotes: how to show one without its secrets (passwords and
// tokens in a URL). The rule itself lives with the transports (store/transport/remote-url.ts).
export { redactUrl } from '../store/transport/remote-url.js';
