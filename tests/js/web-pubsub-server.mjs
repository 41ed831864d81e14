// Drives BrokerChat's REST API with the Azure Web PubSub server SDK (@azure/web-pubsub), as an application backend
// written for Azure would, against one connector while its clients (@azure/web-pubsub-client) are connected to
// another, and prints what each call returned and what each client received as JSON.
// Usage: node web-pubsub-server.mjs <REST connector base URL> <client connector base URL> <hub> <access key>
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient, WebPubSubJsonProtocol } from "@azure/web-pubsub-client";

const [restBase, clientBase, hub, accessKey] = process.argv.slice(2);
const giveUp = setTimeout(() => { console.error("timed out at step " + step); process.exit(2); }, 120_000);
let step = "start";

const service = new WebPubSubServiceClient(`Endpoint=${restBase.replace(/\/$/, "")};AccessKey=${accessKey};Version=1.0;`, hub, { allowInsecureConnection: true });

// Tokens come from the SDK (signed locally with the key); the clients connect to the other connector.
async function clientUrl(userId, roles) {
  const token = await service.getClientAccessToken({ userId, roles });
  const url = new URL(token.url);
  url.host = new URL(clientBase).host;
  return url.toString();
}

function client(userId, protocol, roles = ["webpubsub.joinLeaveGroup"]) {
  // A refused request fails at once rather than being tried again.
  const c = new WebPubSubClient({ getClientAccessUrl: () => clientUrl(userId, roles) }, { protocol, autoReconnect: false, messageRetryOptions: { maxRetries: 0 } });
  c.received = [];
  c.on("connected", e => { c.connectionId = e.connectionId; });
  c.on("server-message", e => c.received.push({ from: "server", dataType: e.message.dataType, data: data(e.message) }));
  c.on("group-message", e => c.received.push({ from: "group", group: e.message.group, dataType: e.message.dataType, data: data(e.message) }));
  c.stopped = new Promise(resolve => c.on("stopped", resolve));
  return c;
}

function data(message) {
  return message.dataType === "binary" ? Array.from(new Uint8Array(message.data)) : message.data;
}

async function until(what, condition) {
  step = what;
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("gave up waiting for " + what);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

const has = (c, text) => c.received.some(m => m.data === text);

const alice = client("alice"); // reliable JSON, the client's default
const bob = client("bob", WebPubSubJsonProtocol());
await alice.start();
await bob.start();
await until("the connected events", () => alice.connectionId && bob.connectionId); // emitted after start() resolves

const result = { calls: {} };
step = "existence";
result.calls.connectionExists = await service.connectionExists(alice.connectionId);
result.calls.missingConnectionExists = await service.connectionExists("no-such-connection");
result.calls.userExists = await service.userExists("bob");
result.calls.missingUserExists = await service.userExists("nobody");
result.calls.groupExistsBefore = await service.groupExists("team");

step = "group membership";
await service.group("team").addConnection(alice.connectionId);
await service.group("team").addUser("bob");
await until("the group to exist", () => service.groupExists("team"));
try {
  await service.group("team").addConnection("no-such-connection");
  result.calls.addMissingConnection = "added";
} catch (e) {
  result.calls.addMissingConnection = e.statusCode ?? String(e);
}

step = "sends";
await service.sendToAll("to all", { contentType: "text/plain" });
await until("to all", () => has(alice, "to all") && has(bob, "to all"));
await service.group("team").sendToAll({ hello: "team" });
await until("group message", () => alice.received.some(m => m.from === "group") && bob.received.some(m => m.from === "group"));
await service.sendToUser("bob", "to bob", { contentType: "text/plain" });
await until("to bob", () => has(bob, "to bob"));
await service.sendToConnection(alice.connectionId, new Uint8Array([1, 2, 3]).buffer);
await until("binary to alice", () => alice.received.some(m => m.dataType === "binary"));
await service.sendToAll("only bob by filter", { contentType: "text/plain", filter: "userId eq 'bob'" });
await service.sendToAll("all but bob", { contentType: "text/plain", excludedConnections: [bob.connectionId] });
try {
  await service.sendToAll("bad filter", { contentType: "text/plain", filter: "startswith(userId, 'a')" });
  result.calls.unsupportedFilter = "accepted";
} catch (e) {
  result.calls.unsupportedFilter = e.statusCode ?? String(e);
}

step = "remove from group";
await service.group("team").removeConnection(alice.connectionId);
await service.group("team").sendToAll("team without alice", { contentType: "text/plain" });
await until("team without alice", () => has(bob, "team without alice"));
// Sends to all are in order among themselves, and alice's queue is first-in first-out: once "end" is here, anything
// before it that was meant for her is here too.
await service.sendToAll("end", { contentType: "text/plain" });
await until("end", () => has(alice, "end") && has(bob, "end"));

// Permissions granted and revoked by the backend: carol's token gives her no role at all.
step = "permissions";
async function outcome(action) {
  try {
    await action();
    return "done";
  } catch (e) {
    return e.errorDetail?.name ?? e.statusCode ?? String(e);
  }
}
const carol = client("carol", WebPubSubJsonProtocol(), []);
await carol.start();
await until("carol's connected event", () => carol.connectionId);
result.calls.hasJoinBeforeGrant = await service.hasPermission(carol.connectionId, "joinLeaveGroup", { targetName: "team" });
result.calls.joinBeforeGrant = await outcome(() => carol.joinGroup("team"));
await service.grantPermission(carol.connectionId, "joinLeaveGroup", { targetName: "team" });
await service.grantPermission(carol.connectionId, "sendToGroup");
result.calls.hasJoinAfterGrant = await service.hasPermission(carol.connectionId, "joinLeaveGroup", { targetName: "team" });
result.calls.hasJoinOtherAfterGrant = await service.hasPermission(carol.connectionId, "joinLeaveGroup", { targetName: "other" });
result.calls.hasSendAfterGrant = await service.hasPermission(carol.connectionId, "sendToGroup");
result.calls.joinAfterGrant = await outcome(() => carol.joinGroup("team"));
result.calls.sendAfterGrant = await outcome(() => carol.sendToGroup("team", "from carol", "text"));
await until("carol's message", () => has(bob, "from carol"));
await service.revokePermission(carol.connectionId, "sendToGroup", { targetName: "team" });
result.calls.hasSendAfterRevoke = await service.hasPermission(carol.connectionId, "sendToGroup", { targetName: "team" });
result.calls.hasSendElsewhereAfterRevoke = await service.hasPermission(carol.connectionId, "sendToGroup", { targetName: "other" });
result.calls.sendAfterRevoke = await outcome(() => carol.sendToGroup("team", "after revoke", "text"));
result.calls.missingConnectionHasPermission = await service.hasPermission("no-such-connection", "sendToGroup");
result.calls.grantToMissingConnection = await outcome(() => service.grantPermission("no-such-connection", "sendToGroup"));
await carol.stop();

step = "close";
await service.closeConnection(bob.connectionId, { reason: "closed by the backend" });
await bob.stopped;
await until("bob to be gone", async () => !(await service.connectionExists(bob.connectionId)));
result.calls.userExistsAfterClose = await service.userExists("bob");

// Timings, over 20 tries each: an existence check for a connection held by the other connector (answered through
// Kafka), one for a connection nowhere (every connector must answer; 5 tries), and a send to all until it is received.
step = "timings";
async function timed(action, tries = 20) {
  const times = [];
  for (let i = 0; i < tries; i++) {
    const start = performance.now();
    await action(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const ms = t => Math.round(t * 10) / 10;
  return { tries, medianMs: ms(times[Math.floor(tries / 2)]), maxMs: ms(times[tries - 1]) };
}
result.timings = {
  remoteConnectionExists: await timed(() => service.connectionExists(alice.connectionId)),
  missingConnectionExists: await timed(() => service.connectionExists("no-such-connection"), 5),
  sendToAllReceived: await timed(async i => {
    const arrived = new Promise(resolve => {
      const handler = e => { if (e.message.data === "timing " + i) { alice.off("server-message", handler); resolve(); } };
      alice.on("server-message", handler);
    });
    await service.sendToAll("timing " + i, { contentType: "text/plain" });
    await arrived;
  }),
};

result.alice = alice.received.filter(m => typeof m.data !== "string" || !m.data.startsWith("timing "));
result.bob = bob.received;
console.log(JSON.stringify(result));
await alice.stop();
clearTimeout(giveUp);
process.exit(0); // the SDK's pooled HTTP connections would keep the process alive for a while

