import { fileURLToPath } from 'node:url';

/** The example directory shipped with the package, served by default. */
export const EXAMPLE_DIRECTORY = fileURLToPath(new URL('../../../src/config/example-directory.yaml', import.meta.url));

/** convict schema for the identity provider. */
export const providerSchema = {
  provider: {
    type: {
      doc: 'Where users, aliases and lists come from',
      format: ['file'],
      default: 'file',
      env: 'MAILROSTER_PROVIDER_TYPE',
    },
    domains: {
      doc: 'Hosted domains; when empty, every domain of a mailbox address (a directory file may also list them)',
      format: 'string-list',
      default: [] as string[],
      env: 'MAILROSTER_PROVIDER_DOMAINS',
    },
    file: {
      path: {
        doc: 'Directory file (YAML or JSON) for provider.type=file; watched and reloaded on change',
        format: String,
        default: EXAMPLE_DIRECTORY,
        env: 'MAILROSTER_PROVIDER_FILE_PATH',
      },
    },
  },
};
