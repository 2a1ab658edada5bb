import type { DirectoryData } from '../directory/directory-data.js';
import { ProviderError } from '../providers/provider-error.js';
import type { DirectoryProvider } from '../providers/provider.js';

/**
 * provider.type=scim behind the provider interface: the directory is pushed to /scim/v2 and kept
 * in the store, so there is nothing to fetch; the sync engine sees `push` and never pulls.
 */
export class ScimProvider implements DirectoryProvider {
  readonly name = 'scim';
  readonly strict = true;
  readonly push = true;

  async fetchDirectory(): Promise<DirectoryData> {
    throw new ProviderError('PROVIDER_CONFIG', 'provider.type=scim: the directory is pushed to /scim/v2 and kept in the store; there is nothing to fetch');
  }
}
