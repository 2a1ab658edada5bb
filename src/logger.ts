import pino, { type Logger } from 'pino';

/** Secret-bearing keys: never logged, at the top of a log object or up to two levels down. */
const SECRET_KEYS = ['password', 'token', 'clientSecret', 'secret', 'passwordHash', 'authorization', 'cookie'];

/** pino redaction paths for {@link SECRET_KEYS} (pino's `*` matches exactly one level). */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/** Every logger derived from a root built by {@link createLogger}, so a reload can relevel them all. */
const families = new WeakMap<Logger, Set<WeakRef<Logger>>>();

/**
 * Builds the root pino logger (JSON lines on stdout, or the given destination); `fields` go on
 * every line (a worker's id).
 */
export function createLogger(level: string, destination?: pino.DestinationStream, fields: Readonly<Record<string, unknown>> = {}): Logger {
  const family = new Set<WeakRef<Logger>>();
  const root = pino(
    {
      level,
      base: { name: 'mailroster', ...fields },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      // errWithCause keeps the whole cause chain of an error in the log line.
      serializers: { err: pino.stdSerializers.errWithCause },
      // Per-connection children come and go: hold them weakly, prune the dead ones now and then.
      onChild: (child) => {
        family.add(new WeakRef(child));
        if (family.size % 1024 === 0) for (const ref of family) if (!ref.deref()) family.delete(ref);
      },
    },
    destination,
  );
  families.set(root, family);
  return root;
}

/** Sets the level of `root` and of every child logger made from it so far (a config reload). */
export function setLogLevel(root: Logger, level: string): void {
  root.level = level;
  for (const ref of families.get(root) ?? []) {
    const child = ref.deref();
    if (child) child.level = level;
  }
}
