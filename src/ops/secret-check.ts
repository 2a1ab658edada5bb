import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * A constant-time check of presented secrets against one configured secret: both sides are
 * hashed first, so neither the content nor the length of the secret leaks through timing. The
 * configured side is hashed once, here, not on every request. An empty secret matches nothing.
 */
export function secretMatcher(expected: string): (presented: string | undefined) => boolean {
  if (expected === '') return () => false;
  const want = digest(expected);
  return (presented) => presented !== undefined && timingSafeEqual(digest(presented), want);
}

/** One constant-time comparison of a presented secret with the configured one (see {@link secretMatcher}). */
export function secretMatches(presented: string | undefined, expected: string): boolean {
  return secretMatcher(expected)(presented);
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
