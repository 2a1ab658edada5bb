/** convict schema for the directory store and the sync engine. */
export const storeSchema = {
  store: {
    url: {
      doc: 'Where the directory is kept: "memory:" (one process) or a redis:// / rediss:// URL',
      format: String,
      default: 'memory:',
      env: 'MAILROSTER_STORE_URL',
      sensitive: true,
    },
  },
  sync: {
    intervalSeconds: {
      doc: 'Seconds between full syncs from the provider (a file provider also reloads on change)',
      format: 'nat',
      default: 300,
      env: 'MAILROSTER_SYNC_INTERVAL_SECONDS',
    },
  },
};
