/**
 * Dovecot's per-field tab escaping (str_append_tabescaped / t_strsplit_tabescaped in
 * src/lib/strescape.c). Every field of a dict line is escaped on its own, then the fields are
 * joined with TAB, so a field can never contain a raw TAB, CR or LF.
 */

/** The escape byte. */
const ESC = '\x01';

// Escaper table (strescape.c str_append_tabescaped): only these four bytes are escaped.
const ESCAPES: Readonly<Record<string, string>> = { '\x01': '\x011', '\t': '\x01t', '\r': '\x01r', '\n': '\x01n' };

// Unescaper table: the escaper never produces `\x010`, but Dovecot decodes it to NUL.
const UNESCAPES: Readonly<Record<string, string>> = { '0': '\0', '1': '\x01', t: '\t', r: '\r', n: '\n' };

const NEEDS_ESCAPE = /[\x01\t\r\n]/;
const ESCAPE_ALL = /[\x01\t\r\n]/g;

/** Escapes one field for a dict line. */
export function escapeDictField(value: string): string {
  // Fast path: keys, JSON values and reasons almost never hold these bytes.
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPE_ALL, (c) => ESCAPES[c]!) : value;
}

/**
 * Decodes one escaped field. `\x01X` for an unknown X yields X, and a lone trailing `\x01` is
 * dropped, exactly as Dovecot's str_tabunescape does.
 */
export function unescapeDictField(field: string): string {
  if (!field.includes(ESC)) return field;
  let out = '';
  let from = 0;
  for (let i = field.indexOf(ESC); i >= 0; i = field.indexOf(ESC, from)) {
    out += field.slice(from, i);
    const next = field[i + 1];
    if (next !== undefined) out += UNESCAPES[next] ?? next;
    from = i + 2;
  }
  return out + field.slice(Math.min(from, field.length));
}

/** Splits a line (without its LF) into unescaped fields; an empty line has zero fields. */
export function splitDictFields(line: string): string[] {
  if (line === '') return [];
  return line.split('\t').map(unescapeDictField);
}

/** Escapes each field and joins them with TAB (no LF). */
export function joinDictFields(fields: readonly string[]): string {
  return fields.map(escapeDictField).join('\t');
}
