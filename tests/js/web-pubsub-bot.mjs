// Runs the Azure Web PubSub JavaScript client against the example chat bot (hub "bot", functions/examples/ChatBot)
// and prints what it saw as one JSON line. Usage: node web-pubsub-bot.mjs <connector base URL ending in /> [package]
// The bot refuses the user "banned" in its connect handler, seats everyone else in the group "lobby" and welcomes
// them with {"welcome": userId}, answers the invocation "echo" with the same data, and sends the user event "shout"
// upper-cased to the lobby.
import { loadClientPackage } from "./client-package.mjs";

const [baseUrl, packageArgument] = process.argv.slice(2);
const { WebPubSubClient, packageName, version } = await loadClientPackage(packageArgument);
const giveUp = setTimeout(() => { console.error(`timed out at step ${step}`); process.exit(2); }, 30_000);
let step = "start";

async function accessUrl(userId) {
  const response = await fetch(`${baseUrl}negotiate?hub=bot&userId=${encodeURIComponent(userId)}`);
  if (!response.ok) throw new Error(`negotiate answered ${response.status}`);
  return (await response.json()).url;
}

function client(userId) {
  const c = new WebPubSubClient({ getClientAccessUrl: () => accessUrl(userId) }); // the default reliable JSON protocol
  c.serverMessages = [];
  c.groupMessages = [];
  c.on("server-message", e => c.serverMessages.push({ dataType: e.message.dataType, data: data(e.message.data, e.message.dataType) }));
  c.on("group-message", e => c.groupMessages.push({ group: e.message.group, fromUserId: e.message.fromUserId ?? null, dataType: e.message.dataType, data: data(e.message.data, e.message.dataType) }));
  return c;
}

function data(value, dataType) {
  return dataType === "binary" ? Array.from(new Uint8Array(value)) : value;
}

async function until(what, condition) {
  step = what;
  while (!condition()) await new Promise(resolve => setTimeout(resolve, 20));
}

const result = { packageName, version };

// (a) The connect handler refuses the banned user before the upgrade: start() fails.
step = "banned";
const banned = client("banned");
try {
  await banned.start();
  result.banned = { started: true };
  banned.stop();
} catch (e) {
  result.banned = { started: false, error: String(e?.message ?? e) };
}

// (b) Everyone else is welcomed by a message to their connection.
step = "start alice and bob";
const alice = client("alice");
const bob = client("bob");
await alice.start();
await bob.start();
await until("the welcomes", () => alice.serverMessages.length > 0 && bob.serverMessages.length > 0);

// (c) The invocation "echo" answers with the same data and data type, where the client has invokeEvent.
result.hasInvokeEvent = typeof alice.invokeEvent === "function";
if (result.hasInvokeEvent) {
  step = "echo";
  const echo = async (content, dataType) => {
    const answer = await alice.invokeEvent("echo", content, dataType);
    return { dataType: answer.dataType, data: data(answer.data, answer.dataType) };
  };
  result.echoes = [
    await echo("hi", "text"),
    await echo({ n: 1 }, "json"),
    await echo(new Uint8Array([0, 1, 255]).buffer, "binary"),
  ];
}

// (d) A shout reaches the lobby upper-cased; bob is there because the connect handler seated him (he joins nothing).
step = "shout";
await alice.sendEvent("shout", "hello", "text");
await until("the shout", () => bob.groupMessages.length > 0 && alice.groupMessages.length > 0); // alice is in the lobby too
result.serverMessages = { alice: alice.serverMessages, bob: bob.serverMessages };
result.groupMessages = { alice: alice.groupMessages, bob: bob.groupMessages };

console.log(JSON.stringify(result));
await alice.stop();
await bob.stop();
clearTimeout(giveUp);
process.exit(0); // the reliable protocol's timers would keep Node alive a while longer
