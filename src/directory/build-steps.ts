/**
 * A long build (a full sync, a follower's rebuild, a large merge) written once as a generator that
 * yields between bounded pieces of work, and run either to the end at once ({@link runSteps}) or
 * in slices with the event loop free between them ({@link runSliced}): at a million entries a
 * build takes seconds, and lookups must not wait for it.
 */
export type Steps<T> = Generator<void, T, void>;

/** Entries (mailboxes, lists, patched addresses) a build step handles before it yields: about a millisecond. */
export const ENTRY_STEP = 256;
/** Lists a build step checks before it yields: a list can have hundreds of members, each parsed. */
export const LIST_STEP = 16;
/** Entries a scan step reads (a diff comparing texts, the bytes a rebuild collects): about a millisecond. */
export const SCAN_STEP = 4096;
/** Keys a packing step fills or hashes before it yields (each costs tens of nanoseconds). */
export const KEY_STEP = 16_384;

/** Longest a slice of {@link runSliced} runs before it lets the event loop take what is waiting. */
const SLICE_MS = 2;

/** Runs a build's steps to the end in one go (small builds, tests, the CLI). */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Runs a build's steps in slices of about {@link SLICE_MS}, yielding to the event loop after
 * each (setImmediate: after the poll phase, so lookups that arrived meanwhile are read and
 * answered from the snapshot still served). A step can overrun its slice by its own length.
 * An aborted `signal` (shutdown) stops the build between slices with the signal's reason.
 */
export async function runSliced<T>(steps: Steps<T>, signal?: AbortSignal): Promise<T> {
  for (let until = performance.now() + SLICE_MS; ; ) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() < until) continue;
    await new Promise<void>((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
    until = performance.now() + SLICE_MS;
  }
}
