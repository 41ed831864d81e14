// The Azure Web PubSub JavaScript client of an app whose server side is an event handler (web-pubsub-upstream.mjs):
// alice and bob connect through /negotiate; alice sends an event the handler echoes back (a server message), invokes
// one (invokeEvent, answered with the handler's reply) and one the handler refuses, then sends the chat event whose
// handler calls sendToAll, which both of them receive. Prints one JSON line of what they saw.
// Usage: node web-pubsub-upstream-client.mjs <connector base URL ending in /> <hub> [client package, see client-package.mjs]
import { loadClientPackage } from "./client-package.mjs";

const [baseUrl, hub, packageArgument] = process.argv.slice(2);
const { WebPubSubClient, WebPubSubJsonProtocol, packageName, version } = await loadClientPackage(packageArgument);
const giveUp = setTimeout(() => { console.error("timed out"); process.exit(2); }, 45_000);

async function accessUrl(userId) {
  const response = await fetch(`${baseUrl}negotiate?hub=${encodeURIComponent(hub)}&userId=${encodeURIComponent(userId)}`);
  if (!response.ok) throw new Error(`negotiate answered ${response.status}`);
  return (await response.json()).url;
}

const client = userId => new WebPubSubClient({ getClientAccessUrl: () => accessUrl(userId) }, { protocol: WebPubSubJsonProtocol() });
const until = async condition => { while (!condition()) await new Promise(resolve => setTimeout(resolve, 20)); };

const alice = client("alice");
const bob = client("bob");
const received = { alice: [], bob: [] };
alice.on("server-message", e => received.alice.push(e.message));
bob.on("server-message", e => received.bob.push(e.message));
await alice.start();
await bob.start();

await alice.sendEvent("echo", "hello upstream", "text");
await until(() => received.alice.length >= 1);
const echoed = received.alice.shift();

const invoked = await alice.invokeEvent("echo", { question: 42 }, "json");
let refused;
try {
  await alice.invokeEvent("refuse", "no", "text");
} catch (err) {
  refused = { name: err.errorDetail?.name ?? err.name, message: err.errorDetail?.message ?? err.message };
}

await alice.sendEvent("broadcast", { text: "hi all" }, "json");
await until(() => received.alice.length >= 1 && received.bob.length >= 1);

alice.stop();
bob.stop();
clearTimeout(giveUp);
console.log(JSON.stringify({
  packageName, version,
  echoed: { dataType: echoed.dataType, data: echoed.data },
  invoked: { dataType: invoked.dataType, data: invoked.data },
  refused,
  broadcast: { alice: received.alice.map(m => m.data), bob: received.bob.map(m => m.data) },
}));
