import { randomUUID } from 'node:crypto';
import { pendingOf } from './deletion-window.js';
import { ScimError, badRequest } from './scim-error.js';
import { runSliced } from '../directory/build-steps.js';
import { compileFilter, filterEquality, matchingSteps } from './scim-filter.js';
import { applyPatchOp } from './scim-patch-op.js';
import { nextMeta, normalizeResource, renderResource, type Resource, type ResourceKind, type StoredMeta } from './scim-resources.js';
import { URN } from './scim-schemas.js';
import type { ScimDraft } from './scim-draft.js';
import type { ScimStore } from './scim-store.js';

/** Query parameters of a list request. */
export interface ListQuery {
  readonly filter?: string | undefined;
  readonly startIndex?: string | undefined;
  readonly count?: string | undefined;
  readonly attributes?: string | undefined;
  readonly excludedAttributes?: string | undefined;
}

/** The SCIM operations on Users and Groups, each one store write; `base` is the URL prefix for meta.location. */
export class ScimOperations {
  readonly #store: ScimStore;
  readonly #maxResults: number;

  constructor(store: ScimStore, maxResults: number) {
    this.#store = store;
    this.#maxResults = maxResults;
  }

  /** POST: a new resource with a server-chosen id; 409 for a userName already taken. */
  create(kind: ResourceKind, body: unknown): Promise<Resource> {
    return this.#store.write((draft) => {
      const resource = normalizeResource(kind, body, randomUUID(), nextMeta(kind, undefined));
      uniqueName(draft, resource);
      draft.put(kind, resource);
      return resource;
    });
  }

  /** PUT: replaces every attribute (what Authentik sends on each update). */
  replace(kind: ResourceKind, id: string, body: unknown, ifMatch: string | undefined): Promise<Resource> {
    return this.#rewrite(kind, id, ifMatch, () => body);
  }

  /** PATCH: add/remove/replace operations, then the same checks as a PUT. */
  patch(kind: ResourceKind, id: string, body: unknown, ifMatch: string | undefined): Promise<Resource> {
    return this.#rewrite(kind, id, ifMatch, (prior) => applyPatchOp(prior, body));
  }

  /** Writes the new version of an existing resource, made by `next` from the stored one. */
  #rewrite(kind: ResourceKind, id: string, ifMatch: string | undefined, next: (prior: Resource) => unknown): Promise<Resource> {
    return this.#store.write((draft) => {
      const prior = existing(draft, kind, id, ifMatch);
      const resource = normalizeResource(kind, next(prior), id, nextMeta(kind, prior.meta as StoredMeta));
      uniqueName(draft, resource);
      draft.put(kind, resource);
      return resource;
    });
  }

  /** DELETE; a deleted User leaves its groups. */
  delete(kind: ResourceKind, id: string, ifMatch: string | undefined): Promise<void> {
    return this.#store.write((draft) => {
      existing(draft, kind, id, ifMatch);
      draft.delete(kind, id);
    });
  }

  /** GET one (looked for once more on the shared copy before a 404: it may have just been created elsewhere). */
  async get(kind: ResourceKind, id: string): Promise<Resource> {
    const r = await this.#store.readFresh((state) => state.get(kind, id));
    if (!r) throw new ScimError(404, `${kind} ${id} not found`);
    return r;
  }

  /** GET the collection: filter, then the 1-based page [startIndex, startIndex + count). */
  async list(kind: ResourceKind, q: ListQuery, base: string): Promise<Record<string, unknown>> {
    // A bad query is refused before anything is read.
    const filter = q.filter ? compileFilter(q.filter) : undefined;
    const startIndex = Math.max(1, intParam(q.startIndex, 'startIndex') ?? 1);
    const count = Math.min(this.#maxResults, Math.max(0, intParam(q.count, 'count') ?? this.#maxResults));
    const state = await this.#store.read();
    const equality = q.filter ? filterEquality(q.filter) : undefined;
    // Candidates from the index (the lookup IdPs make before a create), else the whole kind; a
    // scan runs in slices, so lookups are answered meanwhile.
    const all = (equality && state.candidates(kind, equality.attr, equality.value)) ?? (await runSliced(state.resourcesSteps(kind)));
    const matches = filter ? await runSliced(matchingSteps(all, filter)) : all;
    const page = matches.slice(startIndex - 1, startIndex - 1 + count).map((r) => project(renderResource(r, base), q));
    return { schemas: [URN.list], totalResults: matches.length, startIndex, itemsPerPage: page.length, Resources: page };
  }

  /**
   * Applies every removal the deletion guard holds (oldest first) and opens a new window:
   * what `mailroster sync --confirm-deletions` asks for. Resolves with how many were applied.
   */
  confirmDeletions(): Promise<number> {
    return this.#store.write((draft) => {
      let applied = 0;
      for (const p of pendingOf(draft.base.guard)) {
        const user = draft.get('User', p.id);
        if (!user) continue;
        if (p.op === 'delete') draft.delete('User', p.id);
        else if (user.active !== false) draft.put('User', { ...user, active: false, meta: nextMeta('User', user.meta as StoredMeta) });
        applied++;
      }
      draft.setGuard({ removals: [], pending: [] });
      return applied;
    }, { force: true });
  }

  /** Removals held by the guard now; undefined while the store cannot be read. */
  pendingDeletions(): number | undefined {
    try {
      return this.#store.pendingRemovals();
    } catch {
      return undefined;
    }
  }
}

function existing(draft: ScimDraft, kind: ResourceKind, id: string, ifMatch: string | undefined): Resource {
  const prior = draft.get(kind, id);
  if (!prior) throw new ScimError(404, `${kind} ${id} not found`);
  const version = (prior.meta as StoredMeta).version;
  if (ifMatch !== undefined && ifMatch !== '*' && !ifMatch.split(',').map((t) => t.trim()).includes(version)) {
    throw new ScimError(412, `${kind} ${id} is at version ${version}, not ${ifMatch}`, 'invalidVers');
  }
  return prior;
}

function uniqueName(draft: ScimDraft, resource: Resource): void {
  if (resource.schemas && (resource.schemas as string[])[0] !== URN.user) return;
  const name = String(resource.userName).toLowerCase();
  const owner = draft.base.userNames.get(name);
  const taken = owner !== undefined && owner !== resource.id && draft.get('User', owner) !== undefined;
  if (taken) throw new ScimError(409, `userName ${String(resource.userName)} is already taken`, 'uniqueness');
}

function intParam(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw badRequest('invalidValue', `${name} must be a whole number`);
  return Number(raw);
}

/** `attributes` keeps only the named top-level attributes (plus id, schemas, meta); `excludedAttributes` drops them. */
function project(r: Resource, q: ListQuery): Resource {
  const names = (s: string | undefined) => (s ? s.split(',').map((a) => a.trim().toLowerCase().replace(/^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/, '').split('.')[0]!) : undefined);
  const keep = names(q.attributes);
  const drop = names(q.excludedAttributes);
  if (!keep && !drop) return r;
  return Object.fromEntries(Object.entries(r).filter(([k]) => {
    const lk = k.toLowerCase();
    if (['id', 'schemas', 'meta'].includes(lk)) return true;
    return keep ? keep.includes(lk) : !drop!.includes(lk);
  }));
}
