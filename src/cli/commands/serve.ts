// Placeholder until the daemon lands: the daemon engineer replaces this file with the real `mreg serve`.
import type { CommandModule } from 'yargs';
import { RegistryError } from '../../errors.js';

export const serveCommand: CommandModule = {
  command: 'serve',
  describe: 'Serve the registry (MLflow REST API, models:/ resolution, web UI)',
  builder: (y) =>
    y
      .option('port', { type: 'number', default: 5000 })
      .option('host', { type: 'string', default: '127.0.0.1' })
      .option('branch', { type: 'string' })
      .example('$0 serve --port 5000', 'serve the registry in the current directory'),
  handler() {
    throw new RegistryError('NOT_IMPLEMENTED', 'mreg serve is not available in this build.');
  },
};
