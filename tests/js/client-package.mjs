// Loads the Azure Web PubSub JavaScript client package a script runs against, and the version it holds.
// The package is named by the script's argument, else by WEB_PUBSUB_CLIENT_PACKAGE, else "@azure/web-pubsub-client"
// (package.json pins the newest release under that name and older releases under npm aliases such as
// "web-pubsub-client-1.0.4"). The version is read from the package.json the module resolves beside, so a script
// reports what it actually ran.
import { createRequire } from "node:module";

export const defaultPackage = "@azure/web-pubsub-client";

export async function loadClientPackage(name) {
  const packageName = name || process.env.WEB_PUBSUB_CLIENT_PACKAGE || defaultPackage;
  const module = await import(packageName);
  const { version } = createRequire(import.meta.url)(`${packageName}/package.json`);
  return { packageName, version, ...module };
}
