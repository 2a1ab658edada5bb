import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Directories from this many mailboxes up leave enough garbage behind a full load to matter. */
export const LARGE_DIRECTORY = 50_000;

const RELEASE_DELAY_MS = 1000;

let collect: (() => void) | undefined;

/**
 * Runs one full garbage collection soon after a large directory was loaded. Parsing and building
 * a million entries leaves about a gigabyte of dead objects; an idle server allocates nothing
 * afterwards, so V8 would keep that memory resident indefinitely. One collection (some tens of
 * milliseconds, once per full load, which itself took seconds) brings the process back to what the
 * packed snapshot needs. The collector is reached through V8's `gc` in a fresh context, so the
 * process need not run with --expose-gc.
 */
export function releaseGarbageSoon(mailboxes: number): void {
  if (mailboxes < LARGE_DIRECTORY) return;
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  // A moment later, once the sync that loaded it has returned and its diff and input are unreachable.
  setTimeout(() => collect?.(), RELEASE_DELAY_MS).unref();
}
