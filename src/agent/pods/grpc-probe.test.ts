// The gRPC probe against a grpc.health.v1 server this test runs on 127.0.0.1.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { createServer } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { grpcHealthCheck, HEALTH_SERVICE, type HealthCheckRequest, type HealthCheckResponse } from "./grpc-probe.ts";

let server: grpc.Server;
let port: number;
let bare: grpc.Server;
let barePort: number;

const bind = (s: grpc.Server) =>
  new Promise<number>((resolve, reject) =>
    s.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );

beforeAll(async () => {
  server = new grpc.Server();
  const statuses: Record<string, HealthCheckResponse["status"]> = { "": "SERVING", draining: "NOT_SERVING" };
  server.addService(HEALTH_SERVICE, {
    Check: (
      call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      done: grpc.sendUnaryData<HealthCheckResponse>,
    ) => {
      if (call.request.service === "hang") return; // never answers: the probe's timeout ends it
      const status = statuses[call.request.service];
      if (!status) return done({ code: grpc.status.NOT_FOUND, details: "unknown service" });
      done(null, { status });
    },
  });
  port = await bind(server);
  // A gRPC server without the health service.
  bare = new grpc.Server();
  barePort = await bind(bare);
});

afterAll(() => {
  server?.forceShutdown();
  bare?.forceShutdown();
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const p = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return p;
}

test("SERVING is success", async () => {
  expect(await grpcHealthCheck("127.0.0.1", port, "", 5)).toEqual({ ok: true, message: "service healthy" });
});

test("NOT_SERVING is failure, naming the status", async () => {
  const res = await grpcHealthCheck("127.0.0.1", port, "draining", 5);
  expect(res).toEqual({ ok: false, message: 'service unhealthy (responded with "NOT_SERVING")' });
});

test("an RPC error, a server without the health service and no server at all are failures", async () => {
  const notFound = await grpcHealthCheck("127.0.0.1", port, "other", 5);
  expect(notFound.ok).toBe(false);
  expect(notFound.message).toStartWith("error: health rpc probe failed:");
  const unimplemented = await grpcHealthCheck("127.0.0.1", barePort, "", 5);
  expect(unimplemented.ok).toBe(false);
  expect(unimplemented.message).toStartWith("error: this server does not implement the grpc health protocol");
  const closed = await closedPort();
  const refused = await grpcHealthCheck("127.0.0.1", closed, "", 5);
  expect(refused.ok).toBe(false);
  expect(refused.message).toStartWith(`timeout: failed to connect service "127.0.0.1:${closed}" within 5s`);
});

test("no answer within timeoutSeconds is failure", async () => {
  const res = await grpcHealthCheck("127.0.0.1", port, "hang", 1);
  expect(res).toEqual({ ok: false, message: "timeout: health rpc did not complete within 1s" });
});
