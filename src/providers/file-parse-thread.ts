import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { ParseFailure, parseDirectoryText, toParsedDocument, type ParsedDocument } from './directory-file-parse.js';

/** What the parse thread is given. */
export interface ParseJob {
  readonly path: string;
  readonly json: boolean;
}

/** What it answers: the document, or where and why it could not be read or parsed. */
export type ParseReply = { readonly ok: ParsedDocument } | { readonly where: string; readonly reason: string };

type Answer = { reply: ParseReply; transfer: ArrayBuffer[] };

/**
 * A worker thread that reads and parses one large directory file off the event loop (see
 * IN_TURN_BYTES) and posts the document back as a ParsedDocument.
 */
async function run(job: ParseJob): Promise<Answer> {
  let text: string;
  try {
    text = await readFile(job.path, 'utf8');
  } catch (err) {
    return { reply: { where: '(file)', reason: (err as Error).message }, transfer: [] };
  }
  try {
    const { doc, transfer } = toParsedDocument(parseDirectoryText(text, job.json));
    return { reply: { ok: doc }, transfer };
  } catch (err) {
    if (err instanceof ParseFailure) return { reply: { where: err.where, reason: err.message }, transfer: [] };
    throw err;
  }
}

if (parentPort) {
  const port = parentPort;
  void run(workerData as ParseJob).then(({ reply, transfer }) => port.postMessage(reply, transfer));
}
