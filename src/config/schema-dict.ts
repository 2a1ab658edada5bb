/** convict schema for the Dovecot dict proxy listener and the userdb/passdb values. */
export const dictSchema = {
  dict: {
    listen: {
      doc: 'Dovecot dict endpoints: absolute UNIX socket paths (Dovecot speaks dict over UNIX sockets only) or host:port for tooling',
      format: 'endpoint-list',
      default: [] as string[],
      env: 'MAILROSTER_DICT_LISTEN',
    },
  },
};
