using BrokerChat.Connector.Hosting;
using BrokerChat.Functions.Hubs;
using ChatBot;

// The whole chat in one process (embedded Kafka, connector, workers) with the bot's functions in the workers.
var app = ConnectorApp.Build(args, services => services.AddBrokerChatHub<BotHub>());
await ConnectorApp.RunAsync(app);
