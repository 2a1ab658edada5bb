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
  };
}
