// Closes a reliable Web PubSub client's connection with the server SDK (@azure/web-pubsub) and prints what the client
// (@azure/web-pubsub-client, default options: reliable protocol, automatic reconnect) did then, as JSON: the
// connection ids of its `connected` events, the message of its `disconnected` event, whether the closed connection
// still exists, and which messages sent afterwards reached it.
// Usage: node web-pubsub-rest-close.mjs <REST connector base URL> <client connector base URL> <hub> <access key> <how>
//   [client package, see client-package.mjs]
// <how> is the REST call that closes it: connection, user, group or all.
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { loadClientPackage } from "./client-package.mjs";

const [restBase, clientBase, hub, accessKey, how, packageArgument] = process.argv.slice(2);
const { WebPubSubClient, packageName, version } = await loadClientPackage(packageArgument);
let step = "start";
const giveUp = setTimeout(() => { console.error("timed out at step " + step); process.exit(2); }, 90_000);
const service = new WebPubSubServiceClient(`Endpoint=${restBase.replace(/\/$/, "")};AccessKey=${accessKey};Version=1.0;`, hub, { allowInsecureConnection: true });

async function clientUrl() {
  const token = await service.getClientAccessToken({ userId: "carol", roles: ["webpubsub.joinLeaveGroup"] });
  const url = new URL(token.url);
  url.host = new URL(clientBase).host;
  return url.toString();
}

async function until(what, condition) {
  step = what;
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("gave up waiting for " + what);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

const client = new WebPubSubClient({ getClientAccessUrl: clientUrl });
const connected = [];
const disconnected = [];
const received = [];
client.on("connected", e => connected.push(e.connectionId));
client.on("disconnected", e => disconnected.push({ connectionId: e.connectionId, message: e.message?.message ?? null }));
client.on("server-message", e => received.push(e.message.data));

await client.start();
await client.joinGroup("room");
await until("the first connected event", () => connected.length === 1);
const first = connected[0];

step = "close";
const reason = "closed by the backend";
if (how === "connection") await service.closeConnection(first, { reason });
else if (how === "user") await service.closeUserConnections("carol", { reason });
else if (how === "group") await service.group("room").closeAllConnections({ reason });
else await service.closeAllConnections({ reason });

// The client reconnects afresh (a new connection, its groups joined again) instead of resuming the closed one.
await until("a new connection", () => connected.length >= 2);
const existsAfterClose = await service.connectionExists(first);
await service.sendToConnection(first, "to the closed connection", { contentType: "text/plain" });
await service.sendToConnection(connected[1], "to the new connection", { contentType: "text/plain" });
await until("the message to the new connection", () => received.includes("to the new connection"));

console.log(JSON.stringify({ packageName, version, connected, disconnected, existsAfterClose, received }));
await client.stop();
clearTimeout(giveUp);
process.exit(0);
