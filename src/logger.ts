import pino, { type Logger } from 'pino';

/** Keys whose values never reach a log line, wherever they appear in a logged object. */
const REDACT = ['*.password', '*.token', '*.clientSecret', '*.secret', '*.passwordHash', 'headers.authorization'];

/** Builds the root pino logger (JSON lines on stdout, or the given destination). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { name: 'mailroster' },
      redact: { paths: REDACT, censor: '[redacted]' },
      // errWithCause keeps the whole cause chain of an error in the log line.
      serializers: { err: pino.stdSerializers.errWithCause },
    },
    destination,
  );
}
