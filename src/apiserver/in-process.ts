// The in-process transport: components in the server process (scheduler, controllers, the all-in-one agent)
// call the Hono app directly with a fixed identity. Only this path can set env.user; network requests cannot.

import type { UserInfo } from "../api/types.ts";
import type { Transport } from "../client/types.ts";

export function inProcessTransport(
  // biome-ignore lint/suspicious/noExplicitAny: Hono apps type their env bindings precisely
  app: { fetch(req: Request, env: any): Response | Promise<Response> },
  user: UserInfo,
): Transport {
  return async (req) => app.fetch(req, { user });
}
