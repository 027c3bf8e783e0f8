// A typed, promise-based client for containerd's CRI socket (RuntimeService and ImageService of runtime.v1).
// The .proto is embedded as text so it also works inside the `bun build --compile` binary.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protoText from "./api.proto" with { type: "text" };
import type * as cri from "./types.ts";

// proto-loader only reads files: write the embedded text to a temp file once, load it, remove it.
let packageDefinition: protoLoader.PackageDefinition | undefined;
function loadDefinition(): protoLoader.PackageDefinition {
  if (packageDefinition) return packageDefinition;
  const dir = mkdtempSync(join(tmpdir(), "k3lite-cri-"));
  try {
    const file = join(dir, "api.proto");
    writeFileSync(file, protoText);
    packageDefinition = protoLoader.loadSync(file, {
      keepCase: false,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return packageDefinition;
}

/** A CRI error, with the gRPC status code (grpc.status.NOT_FOUND, ...) for callers that must tell them apart. */
export class CriError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly details: string,
  ) {
    super(`CRI ${method}: ${details}`);
    this.name = "CriError";
  }
  get notFound(): boolean {
    return this.code === grpc.status.NOT_FOUND;
  }
}

export interface CriClient {
  version(): Promise<{
    version: string;
    runtimeName: string;
    runtimeVersion: string;
    runtimeApiVersion: string;
  }>;
  status(): Promise<{ conditions: cri.RuntimeCondition[] }>;
  runPodSandbox(config: cri.PodSandboxConfig, runtimeHandler?: string): Promise<string>;
  stopPodSandbox(podSandboxId: string): Promise<void>;
  removePodSandbox(podSandboxId: string): Promise<void>;
  podSandboxStatus(podSandboxId: string): Promise<cri.PodSandboxStatus>;
  listPodSandbox(filter?: {
    id?: string;
    state?: cri.PodSandboxState;
    labelSelector?: cri.Labels;
  }): Promise<cri.PodSandbox[]>;
  createContainer(
    podSandboxId: string,
    config: cri.ContainerConfig,
    sandboxConfig: cri.PodSandboxConfig,
  ): Promise<string>;
  startContainer(containerId: string): Promise<void>;
  stopContainer(containerId: string, timeoutSeconds: number): Promise<void>;
  removeContainer(containerId: string): Promise<void>;
  listContainers(filter?: {
    id?: string;
    state?: cri.ContainerState;
    podSandboxId?: string;
    labelSelector?: cri.Labels;
  }): Promise<cri.Container[]>;
  containerStatus(containerId: string): Promise<cri.ContainerStatus>;
  reopenContainerLog(containerId: string): Promise<void>;
  execSync(
    containerId: string,
    cmd: string[],
    timeoutSeconds: number,
  ): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }>;
  exec(req: {
    containerId: string;
    cmd: string[];
    tty?: boolean;
    stdin?: boolean;
    stdout?: boolean;
    stderr?: boolean;
  }): Promise<string>;
  attach(req: {
    containerId: string;
    tty?: boolean;
    stdin?: boolean;
    stdout?: boolean;
    stderr?: boolean;
  }): Promise<string>;
  portForward(podSandboxId: string, ports: number[]): Promise<string>;
  containerStats(containerId: string): Promise<cri.ContainerStats>;
  listContainerStats(filter?: {
    id?: string;
    podSandboxId?: string;
    labelSelector?: cri.Labels;
  }): Promise<cri.ContainerStats[]>;
  listImages(): Promise<cri.Image[]>;
  /** null when the image is not present. */
  imageStatus(image: string): Promise<cri.Image | null>;
  pullImage(image: string, auth?: cri.AuthConfig, sandboxConfig?: cri.PodSandboxConfig): Promise<string>;
  removeImage(image: string): Promise<void>;
  imageFsInfo(): Promise<cri.FilesystemUsage[]>;
  close(): void;
}

type Unary = (
  req: unknown,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => void;

/** `endpoint` is a unix socket path or `unix:///path`. Calls time out after `timeoutMs` (default 2 min: pulls). */
export function createCriClient(endpoint: string, options: { timeoutMs?: number } = {}): CriClient {
  const address = endpoint.startsWith("unix:") ? endpoint : `unix://${endpoint}`;
  const proto = grpc.loadPackageDefinition(loadDefinition()) as unknown as {
    runtime: { v1: Record<string, grpc.ServiceClientConstructor> };
  };
  const channelOptions = {
    "grpc.max_receive_message_length": 16 * 1024 * 1024 + 1024,
  };
  const credentials = grpc.credentials.createInsecure();
  const { RuntimeService, ImageService } = proto.runtime.v1;
  if (!RuntimeService || !ImageService) throw new Error("api.proto lacks the CRI services");
  const runtime = new RuntimeService(address, credentials, channelOptions);
  // Share one channel between both services.
  const image = new ImageService(address, credentials, {
    ...channelOptions,
    channelOverride: runtime.getChannel(),
  });
  const timeoutMs = options.timeoutMs ?? 120_000;

  function call<T>(service: grpc.Client, method: string, req: unknown, deadlineMs = timeoutMs): Promise<T> {
    const fn = (service as unknown as Record<string, Unary>)[method] as Unary;
    return new Promise((resolve, reject) => {
      fn.call(service, req, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => {
        if (err) reject(new CriError(method, err.code, err.details || err.message));
        else resolve(res as T);
      });
    });
  }
  const rt = <T>(method: string, req: unknown, deadlineMs?: number) => call<T>(runtime, method, req, deadlineMs);
  const img = <T>(method: string, req: unknown, deadlineMs?: number) => call<T>(image, method, req, deadlineMs);

  return {
    version: () => rt("Version", { version: "v1" }),
    status: async () => {
      const res = await rt<{
        status: { conditions: cri.RuntimeCondition[] } | null;
      }>("Status", {});
      return { conditions: res.status?.conditions ?? [] };
    },
    runPodSandbox: async (config, runtimeHandler = "") =>
      (
        await rt<{ podSandboxId: string }>("RunPodSandbox", {
          config,
          runtimeHandler,
        })
      ).podSandboxId,
    stopPodSandbox: async (podSandboxId) => void (await rt("StopPodSandbox", { podSandboxId })),
    removePodSandbox: async (podSandboxId) => void (await rt("RemovePodSandbox", { podSandboxId })),
    podSandboxStatus: async (podSandboxId) =>
      (
        await rt<{ status: cri.PodSandboxStatus }>("PodSandboxStatus", {
          podSandboxId,
        })
      ).status,
    listPodSandbox: async (filter = {}) => {
      const f = {
        ...filter,
        state: filter.state ? { state: filter.state } : undefined,
      };
      return (await rt<{ items: cri.PodSandbox[] }>("ListPodSandbox", { filter: f })).items;
    },
    createContainer: async (podSandboxId, config, sandboxConfig) =>
      (
        await rt<{ containerId: string }>("CreateContainer", {
          podSandboxId,
          config,
          sandboxConfig,
        })
      ).containerId,
    startContainer: async (containerId) => void (await rt("StartContainer", { containerId })),
    // The deadline must outlast the grace period the runtime waits for.
    stopContainer: async (containerId, timeout) =>
      void (await rt("StopContainer", { containerId, timeout }, timeoutMs + timeout * 1000)),
    removeContainer: async (containerId) => void (await rt("RemoveContainer", { containerId })),
    listContainers: async (filter = {}) => {
      const f = {
        ...filter,
        state: filter.state ? { state: filter.state } : undefined,
      };
      return (
        await rt<{ containers: cri.Container[] }>("ListContainers", {
          filter: f,
        })
      ).containers;
    },
    containerStatus: async (containerId) =>
      (
        await rt<{ status: cri.ContainerStatus }>("ContainerStatus", {
          containerId,
        })
      ).status,
    reopenContainerLog: async (containerId) => void (await rt("ReopenContainerLog", { containerId })),
    execSync: (containerId, cmd, timeout) =>
      rt("ExecSync", { containerId, cmd, timeout }, timeout > 0 ? timeout * 1000 + 5000 : timeoutMs),
    exec: async (req) => (await rt<{ url: string }>("Exec", req)).url,
    attach: async (req) => (await rt<{ url: string }>("Attach", req)).url,
    portForward: async (podSandboxId, port) => (await rt<{ url: string }>("PortForward", { podSandboxId, port })).url,
    containerStats: async (containerId) =>
      (
        await rt<{ stats: cri.ContainerStats }>("ContainerStats", {
          containerId,
        })
      ).stats,
    listContainerStats: async (filter = {}) =>
      (
        await rt<{ stats: cri.ContainerStats[] }>("ListContainerStats", {
          filter,
        })
      ).stats,
    listImages: async () => (await img<{ images: cri.Image[] }>("ListImages", {})).images,
    imageStatus: async (image) =>
      (
        await img<{ image: cri.Image | null }>("ImageStatus", {
          image: { image },
        })
      ).image ?? null,
    pullImage: async (image, auth, sandboxConfig) =>
      (
        await img<{ imageRef: string }>("PullImage", {
          image: { image },
          auth,
          sandboxConfig,
        })
      ).imageRef,
    removeImage: async (image) => void (await img("RemoveImage", { image: { image } })),
    imageFsInfo: async () =>
      (await img<{ imageFilesystems: cri.FilesystemUsage[] }>("ImageFsInfo", {})).imageFilesystems,
    close: () => {
      image.close();
      runtime.close();
    },
  };
}
