/** Stable codes for wire errors; each one is fatal to the connection that produced it. */
export type ProtocolErrorCode =
  | 'NETSTRING_BAD_LENGTH'
  | 'NETSTRING_TOO_LONG'
  | 'NETSTRING_MISSING_COMMA'
  | 'SOCKETMAP_BAD_REQUEST'
  | 'DICT_LINE_TOO_LONG'
  | 'DICT_BAD_HANDSHAKE'
  | 'DICT_UNKNOWN_COMMAND'
  | 'DICT_BAD_COMMAND'
  | 'AUTH_BAD_REPLY'
  | 'AUTH_BAD_PATH';

/**
 * A peer sent bytes that break the protocol. The connection cannot be resynchronised after this,
 * so the server logs it with the peer and closes that one connection.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** Machine-readable reason, stable across releases. */
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
