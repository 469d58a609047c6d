// The store's transports: which one carries a remote, and the operations git.ts dispatches to.
export { configuredRemoteUrl, fetchNative, pushNative, type RemoteTarget } from './native.js';
