// Reads a watch response (chunked, newline-delimited JSON WatchEvents) incrementally and delivers each event as
// soon as its line is complete, so one slow object never holds back the ones before it.

import type { WatchEvent } from "./types.ts";

/** Delivers every event of `body` to `onEvent`; resolves when the stream ends or `signal` aborts. */
export async function readWatchStream<T>(
  body: ReadableStream<Uint8Array>,
  onEvent: (ev: WatchEvent<T>) => void,
  signal: AbortSignal,
): Promise<void> {
  const reader = body.getReader();
  const cancel = () => {
    reader.cancel().catch(() => {});
  };
  if (signal.aborted) cancel();
  else signal.addEventListener("abort", cancel, { once: true });
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || signal.aborted) break;
      buffered += decoder.decode(value, { stream: true });
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) deliver(line, onEvent, signal);
        newline = buffered.indexOf("\n");
      }
    }
    // A server may end with an event that has no trailing newline.
    const rest = (buffered + decoder.decode()).trim();
    if (rest && !signal.aborted) deliver(rest, onEvent, signal);
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    signal.removeEventListener("abort", cancel);
  }
}

function deliver<T>(line: string, onEvent: (ev: WatchEvent<T>) => void, signal: AbortSignal): void {
  if (signal.aborted) return;
  const event = JSON.parse(line) as WatchEvent<T>;
  onEvent(event);
}
