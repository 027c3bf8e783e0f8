// gRPC probes: the standard grpc.health.v1.Health/Check call to host:port, as the kubelet's gRPC prober —
// SERVING is success; any other status, an error or the timeout is failure, worded as upstream.

import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import type { HandlerResult } from "./handlers.ts";

// grpc-health-probe's proto (grpc/grpc-proto, grpc/health/v1/health.proto), Check only.
const HEALTH_PROTO = `syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}`;

const root = protobuf.parse(HEALTH_PROTO).root;
const Request = root.lookupType("grpc.health.v1.HealthCheckRequest");
const Response = root.lookupType("grpc.health.v1.HealthCheckResponse");

export interface HealthCheckRequest {
  service: string;
}
export interface HealthCheckResponse {
  status: "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";
}

const encode = (type: protobuf.Type) => (value: object) => Buffer.from(type.encode(type.fromObject(value)).finish());
const decode =
  <T>(type: protobuf.Type) =>
  (buf: Buffer) =>
    type.toObject(type.decode(buf), { enums: String, defaults: true }) as T;

/** grpc.health.v1.Health with its Check method (the client here; tests serve it). */
export const HEALTH_SERVICE = {
  Check: {
    path: "/grpc.health.v1.Health/Check",
    requestStream: false,
    responseStream: false,
    requestSerialize: encode(Request),
    requestDeserialize: decode<HealthCheckRequest>(Request),
    responseSerialize: encode(Response),
    responseDeserialize: decode<HealthCheckResponse>(Response),
  },
} satisfies grpc.ServiceDefinition;

const HealthClient = grpc.makeGenericClientConstructor(HEALTH_SERVICE, "Health");

export async function grpcHealthCheck(
  host: string,
  port: number,
  service: string,
  timeoutSeconds: number,
): Promise<HandlerResult> {
  const addr = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const client = new HealthClient(addr, grpc.credentials.createInsecure(), {
    "grpc.primary_user_agent": "kube-probe/1.32",
  });
  const within = `${timeoutSeconds}s`;
  try {
    const res = await new Promise<HealthCheckResponse>((resolve, reject) =>
      client.makeUnaryRequest(
        HEALTH_SERVICE.Check.path,
        HEALTH_SERVICE.Check.requestSerialize,
        HEALTH_SERVICE.Check.responseDeserialize,
        { service },
        { deadline: Date.now() + timeoutSeconds * 1000 },
        (err, value) => (err || !value ? reject(err) : resolve(value)),
      ),
    );
    if (res.status === "SERVING") return { ok: true, message: "service healthy" };
    return { ok: false, message: `service unhealthy (responded with "${res.status}")` };
  } catch (err) {
    const e = err as grpc.ServiceError;
    const message =
      e.code === grpc.status.DEADLINE_EXCEEDED
        ? `timeout: health rpc did not complete within ${within}`
        : e.code === grpc.status.UNAVAILABLE
          ? `timeout: failed to connect service "${addr}" within ${within}: ${e.details}`
          : e.code === grpc.status.UNIMPLEMENTED
            ? `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${e.details}`
            : `error: health rpc probe failed: ${e.message}`;
    return { ok: false, message };
  } finally {
    client.close();
  }
}
