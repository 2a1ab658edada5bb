import type { Logger } from 'pino';
import { AuthentikProvider } from '../../src/providers/authentik-provider.js';
import { KeycloakProvider } from '../../src/providers/keycloak-provider.js';
import type { DirectoryProvider } from '../../src/providers/provider.js';
import { FakeAuthentik } from './fake-authentik.js';
import type { FakeIdpServer, SeenRequest } from './fake-idp.js';
import { FakeKeycloak } from './fake-keycloak.js';
import { testIdpOptions } from './provider-service.js';

/** One fake identity provider with the same few users, seen through what tests need. */
export interface IdpUnderTest {
  readonly fake: FakeIdpServer;
  /** Matches the path of the user listing. */
  readonly usersPath: RegExp;
  /** Builds a provider on the fake; `provider` overrides test settings (http, pageSize, mapping). */
  provider(overrides?: Record<string, unknown>, logger?: Logger): DirectoryProvider;
  addUser(username: string): void;
  removeUser(username: string): void;
  /** Runs `hook(pageIndex)` before each user page is served. */
  onUsersPage(hook: ((index: number) => void) | undefined): void;
  /** Whether a user-listing request asks for page `index` (0-based, page size 2). */
  isUsersPage(req: SeenRequest, index: number): boolean;
  /** Makes the provider's credentials wrong. */
  breakCredentials(): void;
  stop(): Promise<void>;
}

/** Usernames every realm starts with (pageSize 2 makes three pages). */
export const BASE_USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'fred'];

/** Authentik and Keycloak fakes behind one shape, so a scenario runs against both. */
export const IDP_KINDS: Record<string, () => Promise<IdpUnderTest>> = {
  async authentik() {
    const ak = await new FakeAuthentik().start();
    for (const u of BASE_USERS) ak.addUser({ username: u });
    return {
      fake: ak, usersPath: /\/core\/users\/$/,
      provider: (o = {}, logger) => new AuthentikProvider({ ...testIdpOptions({ provider: o }, logger), url: ak.url, token: ak.token }),
      addUser: (u) => void ak.addUser({ username: u }),
      removeUser: (u) => ak.remove(u),
      onUsersPage: (hook) => { ak.onUsersPage = hook && ((page) => hook(page - 1)); },
      isUsersPage: (req, index) => req.query.get('page') === String(index + 1),
      breakCredentials: () => { ak.token = 'rotated'; },
      stop: () => ak.stop(),
    };
  },
  async keycloak() {
    const kc = await new FakeKeycloak().start();
    for (const u of BASE_USERS) kc.addUser({ username: u });
    kc.addUser({ username: 'service-account-mailroster', serviceAccountClientId: 'mailroster' });
    return {
      fake: kc, usersPath: /\/users$/,
      provider: (o = {}, logger) => new KeycloakProvider({
        ...testIdpOptions({ provider: o }, logger), url: kc.url, realm: kc.realm, clientId: kc.clientId, clientSecret: 'kc-secret-for-tests',
      }),
      addUser: (u) => void kc.addUser({ username: u }),
      removeUser: (u) => kc.remove(u),
      onUsersPage: (hook) => { kc.onUsersPage = hook && ((first) => hook(first / 2)); },
      isUsersPage: (req, index) => req.query.get('first') === String(index * 2),
      breakCredentials: () => { kc.clientSecret = 'rotated'; kc.expireTokens(); },
      stop: () => kc.stop(),
    };
  },
};
