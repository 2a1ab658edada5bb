import { escapeDictField, joinDictFields, splitDictFields } from './dict-escape.js';

/**
 * Server reply characters (dict-client.h, enum dict_protocol_reply). Replies go back in request
 * order with no async ids: every Dovecot client from 2.3 to 2.4 matches an id-less line to its
 * oldest pending command (dict-client.c dict_conn_input_line).
 */
export const enum DictReplyChar {
  Ok = 'O', // lookup O<value> | iterate row O<key>\t<value> | commit O<id>
  MultiOk = 'M', // M<escape(escape(v1)\tescape(v2)...)>   (lookup, minor >= 2)
  NotFound = 'N', // lookup N | commit N<id> (atomic-inc key missing)
  Fail = 'F', // lookup/iterate F<reason> | commit F<id>\t<reason>
  WriteUncertain = 'W', // commit W<id>\t<reason>
  AsyncCommit = 'A', // prefix of every COMMIT_ASYNC (D) reply: AO<id>, AF<id>\t<reason>
}

/** The answer to one LOOKUP. */
export type DictLookupReply =
  | { readonly kind: 'ok'; readonly value: string }
  | { readonly kind: 'multi-ok'; readonly values: readonly string[] }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'fail'; readonly reason: string };

/** The answer to one COMMIT or COMMIT_ASYNC. */
export type DictCommitReply =
  | { readonly kind: 'ok' | 'not-found' }
  | { readonly kind: 'fail' | 'write-uncertain'; readonly reason: string };

/** The line that ends an iteration: one empty field (ITER_FINISHED). */
export const DICT_ITER_END = '\n';

/** Formats a LOOKUP reply line (also the `F<reason>` that ends a failed iteration). */
export function formatDictLookupReply(reply: DictLookupReply): string {
  switch (reply.kind) {
    case 'ok':
      return `${DictReplyChar.Ok}${escapeDictField(reply.value)}\n`;
    case 'multi-ok':
      // Double escaping: each value is escaped, joined with TAB, and the whole is one field.
      return `${DictReplyChar.MultiOk}${escapeDictField(joinDictFields(reply.values))}\n`;
    case 'not-found':
      return `${DictReplyChar.NotFound}\n`;
    case 'fail':
      return `${DictReplyChar.Fail}${escapeDictField(reply.reason)}\n`;
  }
}

/** Formats one iteration row; with NO_VALUE the value is empty (`O<key>\t`). */
export function formatDictIterRow(key: string, value: string): string {
  return `${DictReplyChar.Ok}${escapeDictField(key)}\t${escapeDictField(value)}\n`;
}

/** Formats a commit reply; `async` adds the `A` prefix of a COMMIT_ASYNC answer. */
export function formatDictCommitReply(id: number, reply: DictCommitReply, async = false): string {
  const prefix = async ? DictReplyChar.AsyncCommit : '';
  switch (reply.kind) {
    case 'ok':
      return `${prefix}${DictReplyChar.Ok}${id}\n`;
    case 'not-found':
      return `${prefix}${DictReplyChar.NotFound}${id}\n`;
    case 'fail':
    case 'write-uncertain': {
      // The client reads the error from the second field; the id in the first is obsolete.
      const c = reply.kind === 'fail' ? DictReplyChar.Fail : DictReplyChar.WriteUncertain;
      return `${prefix}${c}${id}\t${escapeDictField(reply.reason)}\n`;
    }
  }
}

/** One reply line as a client sees it: the reply character and the unescaped fields after it. */
export interface DictReplyLine {
  /** '' for the ITER_FINISHED line. */
  readonly char: string;
  /** Fields after the character; the first one is glued to it on the wire. */
  readonly fields: readonly string[];
}

/** Splits a reply line (without LF) the way Dovecot's client does (tests and the query client). */
export function parseDictReplyLine(line: string): DictReplyLine {
  const fields = splitDictFields(line);
  if (fields.length === 0) return { char: '', fields: [] };
  // Escaping never touches the first character, so it can be taken from the unescaped field.
  const first = fields[0]!;
  return { char: first.slice(0, 1), fields: [first.slice(1), ...fields.slice(1)] };
}

/** Decodes the values of an `M` reply. */
export function parseDictMultiValues(field: string): string[] {
  return splitDictFields(field);
}
