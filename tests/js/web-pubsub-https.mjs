// Drives a local BrokerChat over HTTPS with the Azure Web PubSub server SDK (@azure/web-pubsub) as an application
// would, with the connection string BrokerChat printed and without allowInsecureConnection, and a client
// (@azure/web-pubsub-client) on the wss:// URL the SDK hands out. Node trusts BrokerChat's development certificate
// through NODE_EXTRA_CA_CERTS. Prints JSON: the client access URL's scheme, what /negotiate answered, and whether a
// message sent with the SDK reached the client.
// Usage: NODE_EXTRA_CA_CERTS=<pem> node web-pubsub-https.mjs <connection string> <hub>
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient } from "@azure/web-pubsub-client";

const [connectionString, hub] = process.argv.slice(2);
let step = "start";
const giveUp = setTimeout(() => { console.error("timed out at step " + step); process.exit(2); }, 60_000);
const service = new WebPubSubServiceClient(connectionString, hub);

step = "token";
const token = await service.getClientAccessToken({ userId: "hana" });
const endpoint = service.endpoint.replace(/\/$/, "");
step = "negotiate";
const negotiated = await (await fetch(`${endpoint}/negotiate?hub=${encodeURIComponent(hub)}&userId=ivan`)).json();

step = "connect";
const client = new WebPubSubClient(token.url);
const received = [];
client.on("server-message", e => received.push(e.message.data));
await client.start();
step = "send";
await service.sendToAll("over https", { contentType: "text/plain" });
const deadline = Date.now() + 20_000;
while (!received.includes("over https") && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20));

console.log(JSON.stringify({ endpoint, clientUrlScheme: new URL(token.url).protocol, negotiateScheme: new URL(negotiated.url).protocol, received }));
await client.stop();
clearTimeout(giveUp);
process.exit(0);
