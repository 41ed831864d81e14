// Runs the Azure Web PubSub JavaScript client against a BrokerChat connector and prints what it saw as JSON.
// Usage: node web-pubsub-client.mjs <connector base URL ending in /> <hub> [client package, see client-package.mjs]
import { loadClientPackage } from "./client-package.mjs";

const [baseUrl, hub, packageArgument] = process.argv.slice(2);
const { WebPubSubClient, WebPubSubJsonProtocol, packageName, version } = await loadClientPackage(packageArgument);
const giveUp = setTimeout(() => { console.error("timed out"); process.exit(2); }, 30_000);

async function accessUrl(userId) {
  const response = await fetch(`${baseUrl}negotiate?hub=${encodeURIComponent(hub)}&userId=${encodeURIComponent(userId)}`);
  if (!response.ok) throw new Error(`negotiate answered ${response.status}`);
  return (await response.json()).url;
}

function client(userId) {
  return new WebPubSubClient({ getClientAccessUrl: () => accessUrl(userId) }, { protocol: WebPubSubJsonProtocol() });
}

const alice = client("alice");
const bob = client("bob");
const connected = {};
const received = [];
alice.on("connected", e => { connected.alice = e; });
bob.on("group-message", e => received.push(e.message));

await alice.start();
await bob.start();
await bob.joinGroup("room");
await alice.joinGroup("room");

const acks = [
  await alice.sendToGroup("room", "hello", "text", { noEcho: true }),
  await alice.sendToGroup("room", { n: 1 }, "json", { noEcho: true }),
  await alice.sendToGroup("room", new Uint8Array([1, 2, 3]).buffer, "binary", { noEcho: true }),
  await alice.sendEvent("greeting", "hi", "text"),
];
while (received.length < 3) await new Promise(resolve => setTimeout(resolve, 20));

// A retry with the ackId the application chose resolves as a duplicate instead of sending twice.
const first = await alice.sendToGroup("room", "once", "text", { ackId: 1000, noEcho: true });
const again = await alice.sendToGroup("room", "once", "text", { ackId: 1000, noEcho: true });
while (received.length < 4) await new Promise(resolve => setTimeout(resolve, 20));
await new Promise(resolve => setTimeout(resolve, 200)); // a second "once" would have arrived by now

console.log(JSON.stringify({
  packageName,
  version,
  connectionId: connected.alice?.connectionId ?? null,
  userId: connected.alice?.userId ?? null,
  acked: acks.map(a => a !== undefined && a.isDuplicated === false),
  duplicated: [first.isDuplicated, again.isDuplicated],
  received: received.map(m => ({
    group: m.group,
    fromUserId: m.fromUserId,
    dataType: m.dataType,
    data: m.dataType === "binary" ? Array.from(new Uint8Array(m.data)) : m.data,
  })),
}));

alice.stop();
bob.stop();
clearTimeout(giveUp);
