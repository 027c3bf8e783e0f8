// Attach goes through containerd's own CRI streaming server: the agent asks CRI for an Attach URL and bridges
// kubectl's WebSocket to it with the v4 channel protocol, which both sides share (v5's stream-close frames
// have no v4 equivalent and are dropped). This reaches the container's real stdin/stdout, which CRI owns.

import type { WebSocketConnection } from "./websocket.ts";

const CLOSE_CHANNEL = 255;

export function bridgeToCriStream(client: WebSocketConnection, criUrl: string): void {
  const upstream = new WebSocket(criUrl.replace(/^http/, "ws"), ["v4.channel.k8s.io", "channel.k8s.io"]);
  upstream.binaryType = "arraybuffer";
  const pending: Buffer[] = [];
  client.onMessage((msg) => {
    if (msg[0] === CLOSE_CHANNEL) return;
    if (upstream.readyState === WebSocket.OPEN) upstream.send(msg);
    else pending.push(msg);
  });
  upstream.onopen = () => {
    for (const m of pending.splice(0)) upstream.send(m);
  };
  upstream.onmessage = (ev) => client.send(new Uint8Array(ev.data as ArrayBuffer));
  upstream.onclose = () => client.close(1000);
  upstream.onerror = () => client.close(1011, "container runtime stream failed");
  client.onClose(() => upstream.close());
}
