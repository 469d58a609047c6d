// The App over Web Requests and Responses (tests, hono-style, no socket): a Request as a RequestInput with the
// body limit, and a streamed reply as a ReadableStream. node.ts is the same over node:http.
import { BodyTooLarge, type RequestInput } from './reply.js';
import type { WireReply } from './wire.js';

/** A streamed reply as a Web ReadableStream (tests without a socket); closes when the request is aborted. */
export function webStream(wire: WireReply, signal: AbortSignal): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const closers: Array<() => void> = [];
  let open = true;
  let ctl: ReadableStreamDefaultController<Uint8Array> | undefined;
  const close = (): void => {
    if (!open) return;
    open = false;
    for (const fn of closers) fn();
    try {
      ctl?.close();
    } catch {
      // already cancelled
    }
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      ctl = controller;
      if (wire.body.length) controller.enqueue(new Uint8Array(wire.body));
      signal.addEventListener('abort', close);
      wire.stream!({
        write: (chunk) => {
          if (open) controller.enqueue(enc.encode(chunk));
          return open;
        },
        buffered: () => Math.max(0, -(controller.desiredSize ?? 0)),
        end: close,
        onClose: (fn) => void closers.push(fn),
      });
    },
    cancel: close,
  });
}

export function webInput(request: Request, url: URL, maxBody: number): RequestInput {
  return {
    method: request.method,
    path: url.pathname,
    rawQuery: url.search.length > 1 ? url.search.slice(1) : '',
    header: (name) => request.headers.get(name) ?? undefined,
    readBody: async () => {
      const declared = Number(request.headers.get('content-length') ?? '0');
      if (declared > maxBody) throw new BodyTooLarge(maxBody);
      if (!request.body) return '';
      const chunks: Uint8Array[] = [];
      let size = 0;
      const reader = request.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBody) {
          await reader.cancel();
          throw new BodyTooLarge(maxBody);
        }
        chunks.push(value);
      }
      return Buffer.concat(chunks).toString('utf8');
    },
    toWebRequest: async () => request,
  };
}
