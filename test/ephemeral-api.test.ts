// pods/<name>/ephemeralcontainers against a real server (no agent): kubectl debug appends a container; the
// subresource changes nothing but spec.ephemeralContainers, and existing ones cannot be changed or removed,
// nor can names clash with the pod's other containers (422 Invalid with the field named).

import { expect, test } from "bun:test";
import { adminFetch } from "./admin-fetch.ts";
import { useK3lite } from "./harness.ts";

const k3 = useK3lite();
const POD = "/api/v1/namespaces/default/pods/dbg-target";
const SUB = `${POD}/ephemeralcontainers`;

const send = (method: string, path: string, body: unknown, contentType = "application/json") =>
  adminFetch(k3, path, { method, headers: { "content-type": contentType }, body: JSON.stringify(body) });

const getPod = async () => (await adminFetch(k3, POD)).json();

test("kubectl debug appends an ephemeral container, and the subresource guards what exists", async () => {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "dbg-target", labels: { app: "x" } },
    spec: { containers: [{ name: "app", image: "busybox:1.35", command: ["sleep", "3600"] }] },
  };
  expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(pod) })).code).toBe(0);

  const r = await k3.kubectl([
    "debug",
    "dbg-target",
    "--image=busybox:1.35",
    "--target=app",
    "--profile=general",
    "-c",
    "dbg",
    "--",
    "true",
  ]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  let stored = await getPod();
  expect(stored.spec.ephemeralContainers).toHaveLength(1);
  expect(stored.spec.ephemeralContainers[0]).toMatchObject({
    name: "dbg",
    image: "busybox:1.35",
    targetContainerName: "app",
  });

  // GET on the subresource is the Pod.
  const viaSub = await (await adminFetch(k3, SUB)).json();
  expect(viaSub.kind).toBe("Pod");
  expect(viaSub.spec.ephemeralContainers[0].name).toBe("dbg");

  // PUT: only spec.ephemeralContainers is taken; labels and the containers' image in the body are ignored.
  const body = structuredClone(stored);
  body.metadata.labels = { app: "changed" };
  body.spec.containers[0].image = "other:1";
  body.spec.ephemeralContainers.push({ name: "dbg2", image: "busybox:1.35", command: ["true"] });
  const put = await send("PUT", SUB, body);
  expect(put.status).toBe(200);
  stored = await getPod();
  expect(stored.metadata.labels).toEqual({ app: "x" });
  expect(stored.spec.containers[0].image).toBe("busybox:1.35");
  expect(stored.spec.ephemeralContainers.map((c: { name: string }) => c.name)).toEqual(["dbg", "dbg2"]);

  const invalid = async (res: Response, field: string | RegExp, message: RegExp) => {
    expect(res.status).toBe(422);
    const status = await res.json();
    expect(status.reason).toBe("Invalid");
    const cause = status.details.causes.find((c: { field: string }) =>
      typeof field === "string" ? c.field === field : field.test(c.field),
    );
    if (!cause) throw new Error(JSON.stringify(status));
    expect(cause.message).toMatch(message);
  };

  // Removing one, changing one, a clashing name, a missing image: all refused, nothing written.
  const rv = stored.metadata.resourceVersion;
  await invalid(
    await send("PUT", SUB, {
      ...stored,
      spec: { ...stored.spec, ephemeralContainers: [stored.spec.ephemeralContainers[0]] },
    }),
    "spec.ephemeralContainers",
    /may not be removed/,
  );
  const changed = structuredClone(stored.spec.ephemeralContainers);
  changed[0].image = "busybox:other";
  await invalid(
    await send("PUT", SUB, { ...stored, spec: { ...stored.spec, ephemeralContainers: changed } }),
    "spec.ephemeralContainers[0]",
    /may not be changed/,
  );
  await invalid(
    await send(
      "PATCH",
      SUB,
      { spec: { ephemeralContainers: [{ name: "app", image: "busybox:1.35" }] } },
      "application/strategic-merge-patch+json",
    ),
    /^spec\.ephemeralContainers\[\d\]\.name$/,
    /Duplicate value: "app"/,
  );
  await invalid(
    await send(
      "PATCH",
      SUB,
      { spec: { ephemeralContainers: [{ name: "noimage" }] } },
      "application/strategic-merge-patch+json",
    ),
    /^spec\.ephemeralContainers\[\d\]\.image$/,
    /Required value/,
  );
  expect((await getPod()).metadata.resourceVersion).toBe(rv);

  // The main resource still refuses ephemeral container changes (only this subresource may add them).
  const main = structuredClone(stored);
  main.spec.ephemeralContainers.push({ name: "dbg3", image: "busybox:1.35" });
  expect((await send("PUT", POD, main)).status).toBe(422);
}, 60_000);
