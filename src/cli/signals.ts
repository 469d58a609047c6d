// The long-running commands (serve, gateway) run until SIGINT or SIGTERM, then stop cleanly.

/** Resolves at the first SIGINT or SIGTERM, and stops listening for them. */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
