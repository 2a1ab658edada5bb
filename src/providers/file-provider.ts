import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { runSliced } from '../directory/build-steps.js';
import type { DirectoryData } from '../directory/directory-data.js';
import { DirectoryError } from '../errors.js';
import type { DirectoryProvider, FetchOptions } from './provider.js';
import { fromParsedDocument, IN_TURN_BYTES, ParseFailure, parseDirectoryText, type ParsedDocument } from './directory-file-parse.js';
import type { ParseJob, ParseReply } from './file-parse-thread.js';

/** Coalesces the burst of events an editor's save produces into one reload. */
const WATCH_DEBOUNCE_MS = 100;

/**
 * Reads the directory from a YAML or JSON file and watches it. The file is written by a person,
 * so it is strict: one bad entry refuses the whole file and the last good directory keeps serving.
 */
export class FileProvider implements DirectoryProvider {
  readonly name = 'file';
  readonly strict = true;
  readonly #path: string;
  readonly source: string;

  constructor(path: string) {
    this.#path = path;
    this.source = path;
  }

  /**
   * Reads and parses the file; syntax errors name the line and column. While a directory is
   * served, a large file is read and parsed on a thread of its own and handed back in slices, so
   * lookups go on meanwhile; at a start it is parsed at once (that is faster: 1M mailboxes of
   * JSON started about 2 s later through the thread, and nothing waits but the start).
   */
  async fetchDirectory(signal?: AbortSignal, options: FetchOptions = {}): Promise<DirectoryData> {
    try {
      return (await this.#parse(extname(this.#path) === '.json', options.serving === true, signal)) as DirectoryData;
    } catch (err) {
      if (err instanceof ParseFailure) throw new DirectoryError(this.#path, [{ where: err.where, reason: err.message }], { cause: err });
      throw err;
    }
  }

  async #parse(json: boolean, serving: boolean, signal: AbortSignal | undefined): Promise<unknown> {
    // Only while serving does the size matter: a start parses in turn whatever it is.
    if (serving && (await stat(this.#path).catch(unreadable)).size > IN_TURN_BYTES[json ? 'json' : 'yaml']) return runSliced(fromParsedDocument(await parseOnThread({ path: this.#path, json }, signal)), signal);
    return parseDirectoryText(await readFile(this.#path, 'utf8').catch(unreadable), json);
  }

  /**
   * Watches the file's directory rather than the file: editors and config managers replace the
   * file by rename, which would silently end a watch on the old inode.
   */
  watch(onChange: () => void): () => void {
    const name = basename(this.#path);
    let timer: NodeJS.Timeout | undefined;
    const watcher: FSWatcher = watch(dirname(this.#path), (_event, file) => {
      if (file !== null && file !== name) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, WATCH_DEBOUNCE_MS);
    });
    watcher.on('error', () => undefined);
    return () => {
      clearTimeout(timer);
      watcher.close();
    };
  }
}

/** Runs one parse on a thread of its own (file-parse-thread.ts); an aborted `signal` ends it. */
function parseOnThread(job: ParseJob, signal: AbortSignal | undefined): Promise<ParsedDocument> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(new URL('./file-parse-thread.js', import.meta.url), { workerData: job });
    const abort = (): void => void thread.terminate();
    signal?.addEventListener('abort', abort, { once: true });
    const done = (): void => signal?.removeEventListener('abort', abort);
    thread.once('message', (reply: ParseReply) => {
      done();
      void thread.terminate();
      if ('ok' in reply) resolve(reply.ok);
      else reject(new ParseFailure(reply.where, reply.reason));
    });
    thread.once('error', (err) => (done(), reject(err)));
    thread.once('exit', (code) => (done(), reject(signal?.aborted ? signal.reason : new Error(`the parse thread exited with ${code} before answering`))));
  });
}

/** A file that cannot be read (missing, no permission) is reported like a syntax error, at `(file)`. */
function unreadable(err: Error): never {
  throw new ParseFailure('(file)', err.message, { cause: err });
}
