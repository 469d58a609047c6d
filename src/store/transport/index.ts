// The store's transports: which one carries a remote, and the operations git.ts dispatches to.
export { configuredRemoteUrl, fetchNative, pushNative, type NativePushResult, type RemoteTarget } from './native.js';
export { redactText, redactUrl, remoteKind, urlSecrets, type RemoteKind } from './remote-url.js';
export { transportError } from './errors.js';
