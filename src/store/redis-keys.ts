/**
 * Every key mailroster uses in Redis. All carry the same hash tag (`{prefix}`), so in a Redis
 * Cluster they live in one slot and a Lua script can update them together atomically.
 */
export interface RedisKeys {
  /** HASH: epoch, generation, domains (JSON or ""), cursor, writtenAt, mailboxes. */
  readonly meta: string;
  /** HASH: canonical mailbox address -> MailboxEntry JSON. */
  readonly mailboxes: string;
  /** HASH: canonical list address -> ListEntry JSON. */
  readonly lists: string;
  /** HASH: record key -> JSON document of a push provider (SCIM resources); see DirectoryData.records. */
  readonly records: string;
  /** STREAM: one entry per generation (id `<generation>-0`) holding that write's DirectoryPatch. */
  readonly log: string;
  /** STRING: the sync leader's token, with a TTL. */
  readonly leader: string;
  /** Pub/sub channel: `<epoch>:<generation>` after every write. */
  readonly channel: string;
  /** Pub/sub channel: provider work a follower asks the leader for (a webhook it received). */
  readonly requests: string;
}

/**
 * The hashes one staged full write fills before WRITE_SCRIPT renames them over the live ones:
 * named by a random id per write, so two writers never fill the same keys and a dead writer's
 * leftovers are never taken for the next write's. Same hash tag, so a Cluster keeps them in the
 * directory's slot (RENAME needs both keys on one node).
 */
export interface StagingKeys {
  readonly mailboxes: string;
  readonly lists: string;
  readonly records: string;
}

/** Keys for a prefix (`store.keyPrefix`); the prefix must not contain braces. */
export function redisKeys(prefix: string): RedisKeys {
  const tag = `{${prefix}}`;
  return {
    meta: `${tag}:meta`,
    mailboxes: `${tag}:mailboxes`,
    lists: `${tag}:lists`,
    records: `${tag}:records`,
    log: `${tag}:log`,
    leader: `${tag}:leader`,
    channel: `${tag}:changed`,
    requests: `${tag}:sync-requests`,
  };
}

/** Staging hashes of the full write `id` under a prefix. */
export function stagingKeys(prefix: string, id: string): StagingKeys {
  const stage = `{${prefix}}:staging:${id}`;
  return { mailboxes: `${stage}:mailboxes`, lists: `${stage}:lists`, records: `${stage}:records` };
}
