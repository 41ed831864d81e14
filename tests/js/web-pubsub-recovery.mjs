// Runs the Azure Web PubSub JavaScript client, with its default reliable protocol, through a connection the server
// drops. Usage: node web-pubsub-recovery.mjs <connector base URL ending in /> <hub> <count> [client package, see
// client-package.mjs]
// Prints "ready <connectionId>" once it is in the group "room"; the test then drops the connection on the server and
// sends messages {"n": 1..count} to the room. Once it holds count messages the script prints what it saw as JSON.
import { loadClientPackage } from "./client-package.mjs";

const [baseUrl, hub, countText, packageArgument] = process.argv.slice(2);
const { WebPubSubClient, packageName, version } = await loadClientPackage(packageArgument);
const count = Number(countText);
const giveUp = setTimeout(() => { console.error("timed out"); process.exit(2); }, 60_000);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function accessUrl(userId) {
  const response = await fetch(`${baseUrl}negotiate?hub=${encodeURIComponent(hub)}&userId=${encodeURIComponent(userId)}`);
  if (!response.ok) throw new Error(`negotiate answered ${response.status}`);
  return (await response.json()).url;
}

const client = new WebPubSubClient({ getClientAccessUrl: () => accessUrl("carol") });
const connected = [];
let disconnected = 0;
const received = [];
client.on("connected", e => connected.push(e.connectionId));
client.on("disconnected", () => { disconnected++; });
client.on("group-message", e => received.push({ n: e.message.data.n, sequenceId: e.message.sequenceId }));

await client.start();
await client.joinGroup("room");
while (connected.length === 0) await sleep(20);
console.log(`ready ${connected[0]}`);

while (received.length < count) await sleep(20);
await sleep(300); // a message delivered twice would have arrived by now

console.log(JSON.stringify({ packageName, version, connected, disconnected, received }));
await client.stop();
process.exit(0); // the reliable protocol's timers would keep Node alive a while longer

