import type { DirectoryData } from '../../src/directory/directory-data.js';
import type { DirectoryProvider } from '../../src/providers/provider.js';

/**
 * A provider the test controls: every fetch waits until `open()` is called, like a slow identity
 * provider, and honours the abort signal like a real one. After `open()` fetches answer at once.
 */
export function gatedProvider(data: DirectoryData): DirectoryProvider & { open: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  return {
    name: 'gated', strict: true, open,
    fetchDirectory: (signal) => new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason));
      void gate.then(() => resolve(structuredClone(data)));
    }),
  };
}
