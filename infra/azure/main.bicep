// BrokerChat on Azure: an Event Hubs namespace as the Kafka cluster, and two Container Apps (connectors with a
// WebSocket ingress, function workers scaled by KEDA on the consumer group's lag). Deploy with deploy.sh.
// Secrets never leave Azure: the Event Hubs connection string is read here with listKeys and the access key comes in
// as a secure parameter; both become Container Apps secrets.

@description('Prefix of every resource name.')
param name string = 'brokerchat'

@description('Azure region.')
param location string = resourceGroup().location

@description('Connector image, e.g. myregistry.azurecr.io/brokerchat/connector:1.0.0.')
param connectorImage string

@description('Functions image, e.g. myregistry.azurecr.io/brokerchat/functions:1.0.0.')
param functionsImage string

@description('Key that signs client access tokens (Auth:AccessKeys:0), at least 32 characters.')
@secure()
@minLength(32)
param accessKey string

@description('Partitions of each event hub: the most function replicas that share the work. Standard tier allows 32.')
@minValue(1)
@maxValue(32)
param partitions int = 12

@description('Records of lag per function replica before KEDA adds another.')
param lagThreshold int = 500

var topicPrefix = 'brokerchat.'
var hubs = [ 'inbound', 'outbound', 'deadletter' ]
var groupId = 'brokerchat-functions'
var bootstrapServers = '${namespace.name}.servicebus.windows.net:9093'

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: '${name}-${uniqueString(resourceGroup().id)}'
  location: location
  sku: { name: 'Standard', tier: 'Standard', capacity: 1 }
  properties: { kafkaEnabled: true, minimumTlsVersion: '1.2' }
}

resource eventHubs 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = [for hub in hubs: {
  parent: namespace
  name: '${topicPrefix}${hub}'
  properties: { partitionCount: partitions, messageRetentionInDays: 1 }
}]

resource appRule 'Microsoft.EventHub/namespaces/authorizationRules@2024-01-01' = {
  parent: namespace
  name: 'brokerchat-app'
  properties: { rights: [ 'Listen', 'Send' ] }
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${name}-logs'
  location: location
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 }
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${name}-env'
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: { customerId: logs.properties.customerId, sharedKey: logs.listKeys().primarySharedKey }
    }
  }
}

var kafkaSecrets = [
  { name: 'kafka-username', value: '$ConnectionString' }
  { name: 'kafka-password', value: appRule.listKeys().primaryConnectionString }
]

// Event Hubs speaks Kafka's classic group protocol; topics are the event hubs above, made by this template.
var kafkaEnv = [
  { name: 'Kafka__BootstrapServers', value: bootstrapServers }
  { name: 'Kafka__Partitions', value: string(partitions) }
  { name: 'Kafka__TopicPrefix', value: topicPrefix }
  { name: 'Kafka__CreateTopics', value: 'false' }
  { name: 'Kafka__GroupProtocol', value: 'classic' }
  { name: 'Kafka__ClientSettings__security.protocol', value: 'SASL_SSL' }
  { name: 'Kafka__ClientSettings__sasl.mechanism', value: 'PLAIN' }
  { name: 'Kafka__ClientSettings__ssl.ca.location', value: 'probe' }
  { name: 'Kafka__ClientSettings__sasl.username', secretRef: 'kafka-username' }
  { name: 'Kafka__ClientSettings__sasl.password', secretRef: 'kafka-password' }
  { name: 'Functions__GroupId', value: groupId }
]

resource connector 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${name}-connector'
  location: location
  dependsOn: [ eventHubs ]
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      secrets: concat(kafkaSecrets, [ { name: 'access-key', value: accessKey } ])
      ingress: {
        external: true
        targetPort: 8080
        // WebSockets need HTTP/1.1 upgrades, which 'auto' and 'http' carry. Any replica takes any client.
        transport: 'http'
        allowInsecure: false
        stickySessions: { affinity: 'none' }
      }
    }
    template: {
      containers: [
        {
          name: 'connector'
          image: connectorImage
          resources: { cpu: json('0.5'), memory: '1Gi' }
          env: concat(kafkaEnv, [
            { name: 'Functions__InProcessWorkers', value: '0' }
            { name: 'Auth__EnableNegotiate', value: 'false' }
            { name: 'Auth__AccessKeys__0', secretRef: 'access-key' }
            { name: 'ASPNETCORE_FORWARDEDHEADERS_ENABLED', value: 'true' }
          ])
          probes: [
            { type: 'Startup', httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5, failureThreshold: 24 }
            { type: 'Liveness', httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, failureThreshold: 3 }
            { type: 'Readiness', httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 5, failureThreshold: 2 }
          ]
        }
      ]
      scale: {
        minReplicas: 2
        maxReplicas: 10
        rules: [ { name: 'connections', http: { metadata: { concurrentRequests: '5000' } } } ]
      }
    }
  }
}

resource functions 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${name}-functions'
  location: location
  dependsOn: [ eventHubs ]
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      secrets: kafkaSecrets
    }
    template: {
      containers: [
        {
          name: 'functions'
          image: functionsImage
          resources: { cpu: json('0.5'), memory: '1Gi' }
          env: concat(kafkaEnv, [
            { name: 'Functions__InProcessWorkers', value: '1' }
            { name: 'Functions__HealthUrls', value: 'http://+:8081' }
          ])
          probes: [
            { type: 'Startup', httpGet: { path: '/healthz', port: 8081 }, periodSeconds: 5, failureThreshold: 24 }
            { type: 'Liveness', httpGet: { path: '/healthz', port: 8081 }, periodSeconds: 10, failureThreshold: 3 }
            { type: 'Readiness', httpGet: { path: '/readyz', port: 8081 }, periodSeconds: 5, failureThreshold: 3 }
          ]
        }
      ]
      scale: {
        minReplicas: 1
        // One consumer per partition at most.
        maxReplicas: partitions
        rules: [
          {
            name: 'inbound-lag'
            custom: {
              type: 'kafka'
              metadata: {
                bootstrapServers: bootstrapServers
                consumerGroup: groupId
                topic: '${topicPrefix}inbound'
                lagThreshold: string(lagThreshold)
                offsetResetPolicy: 'earliest'
                sasl: 'plaintext'
                tls: 'enable'
              }
              auth: [
                { secretRef: 'kafka-username', triggerParameter: 'username' }
                { secretRef: 'kafka-password', triggerParameter: 'password' }
              ]
            }
          }
        ]
      }
    }
  }
}

output connectorUrl string = 'https://${connector.properties.configuration.ingress.fqdn}'
output clientEndpoint string = 'wss://${connector.properties.configuration.ingress.fqdn}/client/hubs/<hub>'
output kafkaBootstrapServers string = bootstrapServers
