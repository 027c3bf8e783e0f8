import { expect, test } from "bun:test";
import { encodeFrame, type Frame, FrameType, frameReader } from "./relay-protocol.ts";

test("frames survive being split and joined at any byte", () => {
  const wire = Buffer.concat([
    encodeFrame(1, FrameType.OPEN, Buffer.from("8080")),
    encodeFrame(1, FrameType.DATA, Buffer.alloc(70_000, 7)),
    encodeFrame(4_000_000_000, FrameType.END),
  ]);
  for (const step of [1, 5, 9, 1000, wire.length]) {
    const frames: Frame[] = [];
    const feed = frameReader((f) => frames.push(f));
    for (let i = 0; i < wire.length; i += step) feed(wire.subarray(i, i + step));
    expect(frames.map((f) => [f.id, f.type, f.payload.length])).toEqual([
      [1, FrameType.OPEN, 4],
      [1, FrameType.DATA, 70_000],
      [4_000_000_000, FrameType.END, 0],
    ]);
    expect(frames[0]?.payload.toString()).toBe("8080");
  }
});
