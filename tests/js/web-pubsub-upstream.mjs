// An application server written for Azure Web PubSub, unmodified in how it talks to the service: an Express app whose
// event handler is @azure/web-pubsub-express's WebPubSubEventHandler, and whose calls back into the service go
// through @azure/web-pubsub's WebPubSubServiceClient. BrokerChat's tests point a hub's event handler here.
//
// Usage: node web-pubsub-upstream.mjs <behaviour JSON>
//   {
//     "hub": "chat", "path": "/eventhandler",          // WebPubSubEventHandler(hub, { path })
//     "connectionString": "Endpoint=...;AccessKey=...", // for the calls back (sendToAll, ...), optional
//     "allowedEndpoints": ["http://localhost:5000"],    // abuse protection, optional (default: allow every origin)
//     "connect": { "userId": "u", "groups": [], "roles": [], "subprotocol": null, "fail": 401, "state": {"k": "v"}, "delayMs": 0 },
//     "events": { "<event name or *>": { "reply": "echo" | "none" | "text" | "json" | "binary", "fail": 500,
//                 "sendToAll": true, "state": {"k": "v"}, "delayMs": 0 } }
//   }
// Prints one JSON line {"listening": <port>} once it listens, then one JSON line per event it handled:
//   {"event": "connect"|"connected"|"disconnected"|"user", "connectionId", "userId", "eventName", "data", "dataType",
//    "states", "signature", "body", "id"}   (id: the event's ce-id)
// POST /admin/behaviour with a behaviour JSON replaces the behaviour (merged over the current one); a connectionString
// given there is used for the calls back from then on (so a test can start the upstream before the service).
import { AsyncLocalStorage } from "node:async_hooks";
import express from "express";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";
import { WebPubSubServiceClient } from "@azure/web-pubsub";

let behaviour = JSON.parse(process.argv[2] ?? "{}");
const hub = behaviour.hub ?? "chat";
const path = behaviour.path ?? "/eventhandler";
let serviceFor;
let service;
const serviceClient = () => {
  if (behaviour.connectionString && serviceFor !== behaviour.connectionString) {
    serviceFor = behaviour.connectionString;
    service = new WebPubSubServiceClient(behaviour.connectionString, hub, { allowInsecureConnection: true });
  }
  return service;
};

const request = new AsyncLocalStorage();
const print = record => process.stdout.write(JSON.stringify({ ...record, id: request.getStore() }) + "\n");
const delay = ms => new Promise(resolve => setTimeout(resolve, ms ?? 0));
const data = (value, dataType) => dataType === "binary" ? Array.from(new Uint8Array(value)) : value;
const setStates = (res, state) => { for (const [k, v] of Object.entries(state ?? {})) res.setState(k, v); };

const handler = new WebPubSubEventHandler(hub, {
  path,
  allowedEndpoints: behaviour.allowedEndpoints,
  handleConnect: async (req, res) => {
    const connect = behaviour.connect ?? {};
    print({ event: "connect", connectionId: req.context.connectionId, userId: req.context.userId, states: req.context.states,
      signature: req.context.signature, body: { claims: req.claims, query: req.query, headers: req.headers, subprotocols: req.subprotocols, clientCertificates: req.clientCertificates } });
    await delay(connect.delayMs);
    if (connect.fail) return res.fail(connect.fail, connect.reason ?? "refused by the event handler");
    setStates(res, connect.state);
    const answer = {};
    for (const key of ["userId", "groups", "roles", "subprotocol"]) if (connect[key] !== undefined) answer[key] = connect[key];
    return Object.keys(answer).length > 0 ? res.success(answer) : res.success();
  },
  onConnected: req => print({ event: "connected", connectionId: req.context.connectionId, userId: req.context.userId, states: req.context.states, signature: req.context.signature }),
  onDisconnected: req => print({ event: "disconnected", connectionId: req.context.connectionId, userId: req.context.userId, states: req.context.states, reason: req.reason, signature: req.context.signature }),
  handleUserEvent: async (req, res) => {
    const events = behaviour.events ?? {};
    const act = events[req.context.eventName] ?? events["*"] ?? { reply: "none" };
    print({ event: "user", connectionId: req.context.connectionId, userId: req.context.userId, eventName: req.context.eventName,
      data: data(req.data, req.dataType), dataType: req.dataType, states: req.context.states, signature: req.context.signature });
    await delay(act.delayMs);
    if (act.fail) return res.fail(act.fail, act.reason ?? "refused by the event handler");
    if (act.sendToAll && serviceClient()) {
      try {
        await serviceClient().sendToAll({ from: req.context.userId, message: req.data }, { contentType: "application/json" });
      } catch (err) {
        process.stderr.write(`sendToAll failed: ${err.message}\n`);
        return res.fail(500, `sendToAll failed: ${err.message}`);
      }
    }
    setStates(res, act.state);
    switch (act.reply) {
      // A JSON event's data arrives parsed; the SDK sends a JSON answer as the text it is given.
      case "echo": return res.success(req.dataType === "json" ? JSON.stringify(req.data) : req.data, req.dataType);
      case "text": return res.success(act.text ?? "reply", "text");
      case "json": return res.success(JSON.stringify(act.json ?? { reply: true }), "json");
      case "binary": return res.success(Buffer.from(act.bytes ?? [1, 2, 3]), "binary");
      default: return res.success();
    }
  },
});

const app = express();
app.use((req, res, next) => request.run(req.headers["ce-id"], next));
app.use(handler.getMiddleware());
app.post("/admin/behaviour", express.json(), (req, res) => { behaviour = { ...behaviour, ...req.body }; res.sendStatus(204); });
const server = app.listen(behaviour.port ?? 0, "127.0.0.1", () => print({ listening: server.address().port }));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
