import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ENTRY_STEP, type Steps } from '../directory/build-steps.js';

/**
 * While a directory is served, files up to this size are parsed in the event loop's own turn
 * (about 5 ms of parsing: YAML costs some 80 times what JSON does per byte). Larger ones are
 * parsed on a thread of their own (file-parse-thread.ts): 100k mailboxes of YAML took 4.7-5.1 s
 * to parse, and 1M of JSON 0.8-1.1 s, all of it a pause of every lookup while the server reloads
 * its file.
 */
export const IN_TURN_BYTES = { yaml: 16 * 1024, json: 512 * 1024 } as const;

/** A file's text that is not a directory document: where and why. */
export class ParseFailure extends Error {
  override name = 'ParseFailure';
  constructor(readonly where: string, reason: string, options?: { cause?: unknown }) {
    super(reason, options);
  }
}

/** Parses a directory file's text, YAML or JSON; throws ParseFailure naming the line and column (YAML). */
export function parseDirectoryText(text: string, json: boolean): unknown {
  try {
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '(syntax)';
    throw new ParseFailure(where, (err as Error).message.split('\n')[0]!, { cause: err });
  }
}

/**
 * A parsed document as a parse thread hands it over. Passing a million objects from a thread
 * costs as much as parsing them (structured clone rebuilds each one, in one turn), and even a
 * hundred MB of strings is copied in one turn. So each array of the top level travels as JSON
 * texts of {@link ENTRY_STEP} elements, written one after another into one buffer that is
 * transferred, not copied; `ends` says where each text ends. Each text is parsed back in a step
 * of its own. Everything else on the top level is small and travels as it is.
 */
export type ParsedDocument =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'object'; readonly fields: Record<string, unknown>; readonly arrays: Record<string, EncodedArray> };

/** One array of the top level: JSON texts of its elements, back to back. */
export interface EncodedArray {
  readonly bytes: Uint8Array;
  readonly ends: number[];
}

/** Encodes a parsed document for the trip from the thread, and lists the buffers to transfer. */
export function toParsedDocument(value: unknown): { doc: ParsedDocument; transfer: ArrayBuffer[] } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { doc: { kind: 'value', value }, transfer: [] };
  const fields: Record<string, unknown> = {};
  const arrays: Record<string, EncodedArray> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!Array.isArray(v)) {
      fields[key] = v;
      continue;
    }
    const texts = Array.from({ length: Math.ceil(v.length / ENTRY_STEP) }, (_, i) => JSON.stringify(v.slice(i * ENTRY_STEP, (i + 1) * ENTRY_STEP)));
    // A buffer of its own (never a slice of Node's shared pool): it is transferred whole.
    const bytes = Buffer.allocUnsafeSlow(texts.reduce((n, t) => n + Buffer.byteLength(t), 0));
    let end = 0;
    arrays[key] = { bytes, ends: texts.map((t) => (end += bytes.write(t, end))) };
  }
  return { doc: { kind: 'object', fields, arrays }, transfer: Object.values(arrays).map((a) => a.bytes.buffer as ArrayBuffer) };
}

/** Decodes what {@link toParsedDocument} made, one text per step. */
export function* fromParsedDocument(doc: ParsedDocument): Steps<unknown> {
  if (doc.kind === 'value') return doc.value;
  const out: Record<string, unknown> = { ...doc.fields };
  for (const [key, { bytes, ends }] of Object.entries(doc.arrays)) {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const items: unknown[] = [];
    let start = 0;
    for (const end of ends) {
      for (const item of JSON.parse(text.toString('utf8', start, end)) as unknown[]) items.push(item);
      start = end;
      yield;
    }
    out[key] = items;
  }
  return out;
}
