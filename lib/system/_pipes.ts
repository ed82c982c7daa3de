/**
 * Pipe handling of the child-process runner: bounded capture of an output
 * stream and feeding of stdin, both cancellable and never rejecting.
 *
 * @module
 */

/** A stream being read to its end, keeping a bounded head. */
export interface Capture {
  /** Resolves at the end of the stream or once cancelled; never rejects. */
  done: Promise<void>;
  cancel(): Promise<void>;
  text(): string;
  truncated(): boolean;
}

/**
 * Reads a stream to its end, keeping the first `maxBytes` bytes. A read error
 * (EIO) ends the output: what was read is kept and `onError` hears of it.
 */
export function capture(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  onError: (error: unknown) => void,
): Capture {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  const done = (async () => {
    while (true) {
      const next = await reader.read();
      if (next.done) return;
      const room = maxBytes - size;
      if (next.value.length > room) {
        truncated = true;
        if (room > 0) chunks.push(next.value.subarray(0, room));
        size = maxBytes;
      } else {
        chunks.push(next.value);
        size += next.value.length;
      }
    }
  })().catch(onError);
  return {
    done,
    cancel: () => reader.cancel().then(() => done),
    text() {
      const bytes = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      return new TextDecoder().decode(bytes);
    },
    truncated: () => truncated,
  };
}

/**
 * Writes `text` to the child's stdin and closes it. A BrokenPipe (the child
 * exited or closed stdin without reading it all) goes to `onError`: the exit
 * status and output tell what happened.
 */
export function feed(
  stream: WritableStream<Uint8Array>,
  text: string,
  onError: (error: unknown) => void,
): { done: Promise<void>; cancel(): Promise<void> } {
  const writer = stream.getWriter();
  const done = (async () => {
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
  })().catch(onError);
  return { done, cancel: () => writer.abort().catch(onError) };
}
