import type { ListEntry, MailboxEntry } from './directory-data.js';

/** A single-entry change a provider reports between full syncs; applied without a full rewrite. */
export type DirectoryChange =
  | { readonly op: 'upsert-mailbox'; readonly mailbox: MailboxEntry }
  | { readonly op: 'remove-mailbox'; readonly id?: string; readonly address?: string }
  | { readonly op: 'upsert-list'; readonly list: ListEntry }
  | { readonly op: 'remove-list'; readonly id?: string; readonly address?: string };
