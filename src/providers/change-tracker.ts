import type { DirectoryData, MailboxEntry } from '../directory/directory-data.js';
import type { GroupTree } from './group-tree.js';
import type { DirectoryChange } from './provider.js';
import type { DirectoryMapper, ProviderUser } from './provider-mapping.js';

/**
 * What the last full sync saw, kept so that one changed user can be turned into single-entry
 * changes: the mailbox upsert or removal, and the lists whose member addresses moved with it.
 * Group changes themselves are left to the next full sync (the reconcile).
 */
export class ChangeTracker {
  readonly #mapper: DirectoryMapper;
  readonly #tree: GroupTree;
  /** Group ids of the mailbox group's subtree; undefined when every user gets a mailbox. */
  readonly #mailboxGroups: Set<string> | undefined;
  readonly #allowed: Set<string> | undefined;
  readonly #mailboxes = new Map<string, MailboxEntry>();
  /** List id -> its members, joined, to spot a list that changed. */
  readonly #lists = new Map<string, string>();

  constructor(mapper: DirectoryMapper, tree: GroupTree, allowed: Set<string> | undefined, data: DirectoryData, mailboxGroupId?: string) {
    this.#mapper = mapper;
    this.#tree = tree;
    this.#allowed = allowed;
    this.#mailboxGroups = mailboxGroupId === undefined ? undefined : new Set(tree.subtree(mailboxGroupId).map((g) => g.id));
    for (const mb of data.mailboxes) this.#mailboxes.set(mb.id!, mb);
    for (const l of data.lists ?? []) this.#lists.set(l.id!, l.members.join(','));
  }

  /**
   * The change one user brings: `user` undefined means deleted. `groupIds` are the user's direct
   * groups when the provider said (membership of the mailbox group), else the last known answer.
   */
  user(id: string, user: ProviderUser | undefined, groupIds?: readonly string[]): DirectoryChange {
    if (this.#allowed && this.#mailboxGroups && groupIds) {
      if (groupIds.some((g) => this.#mailboxGroups!.has(g))) this.#allowed.add(id);
      else this.#allowed.delete(id);
    }
    const mailbox = user && this.#mapper.mailbox(user, this.#allowed);
    const before = this.#mailboxes.get(id);
    if (mailbox) {
      this.#mailboxes.set(id, mailbox);
      return { op: 'upsert-mailbox', mailbox };
    }
    this.#mailboxes.delete(id);
    return { op: 'remove-mailbox', id, ...(before && { address: before.address }) };
  }

  /** Whether the user's mailbox is enabled now; undefined when she has none. */
  enabled(id: string): boolean | undefined {
    const mb = this.#mailboxes.get(id);
    return mb && mb.enabled !== false;
  }

  /** Upserts for the lists whose members changed since the last call (after a batch of users). */
  listChanges(): DirectoryChange[] {
    const out: DirectoryChange[] = [];
    for (const list of this.#mapper.lists(this.#tree, (id) => this.#mailboxes.get(id))) {
      const members = list.members.join(',');
      if (this.#lists.get(list.id!) === members) continue;
      this.#lists.set(list.id!, members);
      out.push({ op: 'upsert-list', list });
    }
    return out;
  }
}
