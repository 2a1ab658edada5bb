// A leader in a process of its own that starts a chunked full write of `count` mailboxes
// (`dead<i>@example.com`) into an empty Redis, 100 entries a command, and never gets to finish:
// the staged-write test kills it (SIGKILL) once its staging hashes fill, as a crash would.
import { Directory } from '../../src/directory/directory.js';
import { redisStore } from '../store/redis-fixtures.js';

const [url, keyPrefix, count] = process.argv.slice(2) as [string, string, string];
const writer = redisStore(url, { leader: true, keyPrefix, fullWriteBatch: 100 });
await writer.start();
await writer.replace(Directory.build({ mailboxes: Array.from({ length: Number(count) }, (_, i) => ({ address: `dead${i}@example.com` })) }, { strict: true, source: 'test' }));
process.send!({ finished: true });
