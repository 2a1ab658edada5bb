import { randomUUID } from 'node:crypto';
import type { RouteReply } from './fake-idp.js';

/** The Keycloak releases whose Admin API differences the fakes reproduce (26 stands for 26.2+). */
export type KeycloakVersion = 22 | 25 | 26;

/** The realm-management roles a service account can hold. */
export const KC_READ_ROLES = ['view-users', 'query-users', 'query-groups', 'view-events', 'view-realm'];

/** A user-profile attribute (Keycloak 24+ `/users/profile`). */
export interface KcProfileAttribute {
  name: string;
  permissions: { view: string[]; edit: string[] };
}

/** A user event (`/events`): self-service actions that make no admin event. */
export interface KcUserEvent {
  id?: string;
  time: number;
  type: string;
  realmId: string;
  clientId: string;
  userId: string;
  ipAddress: string;
  details: Record<string, string>;
}

/**
 * Realm-wide settings of the fake Keycloak: registration, the user profile, saved user events,
 * brute-force state and the service account's roles, each as the given version answers them.
 */
export class FakeKeycloakRealm {
  readonly roles = new Set(KC_READ_ROLES);
  registrationAllowed = false;
  /** Save user events ("Save events" in the realm's event settings). */
  eventsEnabled = true;
  /** Offset of the server's time zone in minutes; Keycloak before 26.2 reads yyyy-MM-dd dates in it. */
  timeZoneOffsetMinutes = 0;
  /** User profile (24+). Keycloak's default lets users edit their own e-mail. */
  readonly profile: { unmanagedAttributePolicy?: string; attributes: KcProfileAttribute[] } = {
    attributes: ['username', 'email', 'firstName', 'lastName'].map((name) => ({ name, permissions: { view: ['admin', 'user'], edit: ['admin', 'user'] } })),
  };
  readonly userEvents: KcUserEvent[] = [];
  /** User ids locked for a while by brute-force detection (the lock lives beside the user). */
  readonly temporarilyLocked = new Set<string>();

  constructor(readonly version: KeycloakVersion, readonly realm: string) {}

  /** 403 unless the service account holds one of `roles`. */
  require(...roles: string[]): RouteReply | undefined {
    return roles.some((r) => this.roles.has(r)) ? undefined : { status: 403, body: { error: 'unknown_error', error_description: 'For more on this error consult the server log.' } };
  }

  /** `GET /admin/realms/{realm}`: the full representation needs view-realm, else a few names only. */
  representation(): RouteReply {
    if (!this.roles.has('view-realm')) return { status: 200, body: { id: this.realm, realm: this.realm } };
    return { status: 200, body: { id: this.realm, realm: this.realm, enabled: true, registrationAllowed: this.registrationAllowed, registrationEmailAsUsername: false, bruteForceProtected: true, permanentLockout: false, verifyEmail: false } };
  }

  /** `GET /users/profile`: absent before 24 (no declarative user profile by default). */
  userProfile(): RouteReply | undefined {
    if (this.version < 24) return undefined;
    return { status: 200, body: { ...this.profile, groups: [{ name: 'user-metadata' }] } };
  }

  /** Records a user event if the realm saves them. */
  record(type: string, userId: string, time: number, details: Record<string, string> = {}): void {
    if (!this.eventsEnabled) return;
    this.userEvents.push({ ...(this.version >= 25 && { id: randomUUID() }), time, type, realmId: this.realm, clientId: 'account-console', userId, ipAddress: '192.0.2.7', details });
  }

  /** Parses `dateFrom`: epoch ms since 26.2 (400 before), `yyyy-MM-dd` midnight in the server's zone. */
  dateFrom(q: URLSearchParams): number | RouteReply {
    const raw = q.get('dateFrom');
    if (raw === null) return 0;
    if (/^\d{4}-\d{2}-\d{2}$/.test(raw)) return Date.parse(`${raw}T00:00:00Z`) - this.timeZoneOffsetMinutes * 60_000;
    if (this.version < 26) return { status: 400, body: { error: 'Invalid value for From date' } };
    return Number(raw);
  }

  /** `GET /events` (user events), newest first, filtered by type and date. */
  events(q: URLSearchParams, page: (items: readonly KcUserEvent[]) => RouteReply): RouteReply {
    const from = this.dateFrom(q);
    if (typeof from !== 'number') return from;
    const types = q.getAll('type');
    return page(this.userEvents.filter((e) => e.time >= from && (types.length === 0 || types.includes(e.type))).reverse());
  }

  /** An access token that is a JWT carrying the service account's realm-management roles, as Keycloak issues. */
  jwt(): string {
    const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const payload = { jti: randomUUID(), typ: 'Bearer', azp: 'mailroster', resource_access: { 'realm-management': { roles: [...this.roles] } } };
    return `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(payload)}.${randomUUID().replaceAll('-', '')}`;
  }
}
