// Module declarations for files the agent embeds with import attributes (Bun inlines text, and bundles files
// into the compiled executable, returning a path that Bun.file / node:fs can read).
declare module "*.proto" {
  const text: string;
  export default text;
}
declare module "*.tar" {
  const path: string;
  export default path;
}
