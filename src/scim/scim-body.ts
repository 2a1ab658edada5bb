import type { IncomingMessage } from 'node:http';
import { ScimError, badRequest } from './scim-error.js';

/** Limits on a request body. */
export interface BodyLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
}

/** Keys that would reach Object.prototype through a PATCH path or a merge: refused anywhere. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Reads a JSON body. A declared length over the limit is refused before anything is read, and a
 * chunked body is cut off (413) as soon as it passes the limit, so nothing large is ever buffered.
 * Nesting is counted on the raw text before parsing: hostile depth never reaches JSON.parse.
 */
export async function readJsonBody(req: IncomingMessage, limits: BodyLimits): Promise<unknown> {
  const tooLarge = () => new ScimError(413, `request body larger than ${limits.maxBytes} bytes (scim.maxBodyBytes)`);
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limits.maxBytes) throw tooLarge();
  const type = req.headers['content-type'] ?? '';
  if (type !== '' && !/^application\/(scim\+)?json\b/i.test(type)) throw badRequest('invalidSyntax', `content-type ${type} is not application/scim+json`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limits.maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  checkDepth(text, limits.maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest('invalidSyntax', `body is not valid JSON: ${(err as Error).message}`);
  }
  checkKeys(value);
  return value;
}

/** Refuses text whose arrays and objects nest deeper than `max` (strings are skipped). */
function checkDepth(text: string, max: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) throw badRequest('invalidSyntax', `body nests deeper than ${max} levels (scim.maxDepth)`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

function checkKeys(value: unknown): void {
  if (Array.isArray(value)) return value.forEach(checkKeys);
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (FORBIDDEN_KEYS.has(k)) throw badRequest('invalidSyntax', `attribute name "${k}" is not allowed`);
    checkKeys(v);
  }
}

/** True when a PATCH path names a forbidden key anywhere (`a.__proto__.b`, `x[constructor eq 1]`). */
export function forbiddenPath(path: string): boolean {
  return path.split(/[.[\]\s:]+/).some((part) => FORBIDDEN_KEYS.has(part));
}
