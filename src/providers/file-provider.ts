import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { DirectoryData } from '../directory/directory-data.js';
import { DirectoryError } from '../errors.js';
import type { DirectoryProvider } from './provider.js';

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

  /** Reads and parses the file; syntax errors name the line and column. */
  async fetchDirectory(): Promise<DirectoryData> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      throw new DirectoryError(this.#path, [{ where: '(file)', reason: (err as Error).message }], { cause: err });
    }
    try {
      const data = extname(this.#path) === '.json' ? JSON.parse(text) : parseYaml(text);
      return data as DirectoryData;
    } catch (err) {
      const where = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '(syntax)';
      throw new DirectoryError(this.#path, [{ where, reason: (err as Error).message.split('\n')[0]! }], { cause: err });
    }
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
