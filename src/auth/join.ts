// Joining a cluster, both sides (see join-routes.ts for the server, join-client.ts for the agent).

export * from "./join-client.ts";
export * from "./join-routes.ts";
