// The floor of the socketmap benchmarks: a bare Node netstring server that frames requests with
// the same decoder as mailroster and answers with a constant, doing no lookup: NOTFOUND for the
// alias and senders maps (so a real smtpd keeps its recipients), `OK d0.example/user0/` otherwise.
// usage: node floor-server.js UNIX_PATH   (prints {"tcp":PORT,"unix":PATH} once listening)
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { encodeNetstring, NetstringDecoder } from '../../protocol/netstring.js';

const REPLY = encodeNetstring('OK d0.example/user0/');
const NOTFOUND = encodeNetstring('NOTFOUND ');
const A = 0x61;
const S = 0x73;

function serve(socket: Socket): void {
  const decoder = new NetstringDecoder();
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) socket.write(frame[0] === A || frame[0] === S ? NOTFOUND : REPLY);
  });
}

const unixPath = process.argv[2]!;
const tcp = createServer(serve);
const unix = createServer(serve);
await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
await new Promise<void>((r) => unix.listen(unixPath, r));
process.stdout.write(`${JSON.stringify({ tcp: (tcp.address() as AddressInfo).port, unix: unixPath })}\n`);
process.on('SIGTERM', () => process.exit(0));
