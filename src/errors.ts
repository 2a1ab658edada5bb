/**
 * Base of every operational error (config, directory, store, provider). Each has a stable `code`
 * and keeps its `cause`, so a log line shows the whole chain. Wire errors are separate
 * (protocol/ProtocolError): they end one connection, these end at most one request or sync.
 */
export class ServiceError extends Error {
  override name = 'ServiceError';
  /** Machine-readable reason, stable across releases. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** One thing wrong with a directory: where it is and why it is refused. */
export interface DirectoryProblem {
  /** The entry, e.g. `mailboxes[2] (bob@example.com)`. */
  readonly where: string;
  readonly reason: string;
}

/** A directory (file or provider answer) that cannot be served; the last good one stays. */
export class DirectoryError extends ServiceError {
  override name = 'DirectoryError';
  /** Every problem found, not just the first. */
  readonly problems: readonly DirectoryProblem[];

  constructor(source: string, problems: readonly DirectoryProblem[], options?: { cause?: unknown }) {
    const list = problems.map((p) => `  ${p.where}: ${p.reason}`).join('\n');
    super('DIRECTORY_INVALID', `${source}: ${problems.length} problem(s)\n${list}`, options);
    this.problems = problems;
  }
}

/** The configuration cannot be used; `message` lists every error at once. */
export class ConfigError extends ServiceError {
  override name = 'ConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
  }
}

/** sysexits(3) codes the CLI exits with. */
export const EXIT = { USAGE: 64, UNAVAILABLE: 69, SOFTWARE: 70, OSERR: 71, CANTCREAT: 73, NOPERM: 77, CONFIG: 78 } as const;

/** Something the service needs at start cannot be had (a port in use, a socket folder missing). */
export class StartupError extends ServiceError {
  override name = 'StartupError';
  /** The sysexits code `mailroster serve` exits with. */
  readonly exitCode: number;

  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super('STARTUP_FAILED', message, options);
    this.exitCode = exitCode;
  }
}
