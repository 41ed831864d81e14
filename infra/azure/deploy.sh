#!/usr/bin/env bash
# Deploys BrokerChat to a resource group with the az CLI (bicep is built in).
#   RESOURCE_GROUP=brokerchat LOCATION=westeurope \
#   CONNECTOR_IMAGE=myregistry.azurecr.io/brokerchat/connector:1.0.0 \
#   FUNCTIONS_IMAGE=myregistry.azurecr.io/brokerchat/functions:1.0.0 \
#   infra/azure/deploy.sh
# The access key comes from BROKERCHAT_ACCESS_KEY, or is generated on the first deployment and kept in the
# connector's Container Apps secret (later deployments read it back from there, so tokens stay valid).
set -euo pipefail
cd "$(dirname "$0")"
: "${RESOURCE_GROUP:?set RESOURCE_GROUP}"
: "${LOCATION:=westeurope}"
: "${CONNECTOR_IMAGE:?set CONNECTOR_IMAGE}"
: "${FUNCTIONS_IMAGE:?set FUNCTIONS_IMAGE}"
NAME="${NAME:-brokerchat}"

az group create --name "$RESOURCE_GROUP" --location "$LOCATION" --output none

if [[ -z "${BROKERCHAT_ACCESS_KEY:-}" ]]; then
  BROKERCHAT_ACCESS_KEY="$(az containerapp secret show --resource-group "$RESOURCE_GROUP" --name "$NAME-connector" \
    --secret-name access-key --query value --output tsv 2>/dev/null || true)"
fi
if [[ -z "${BROKERCHAT_ACCESS_KEY:-}" ]]; then
  BROKERCHAT_ACCESS_KEY="$(openssl rand -base64 48)"
fi

# A secure parameter: Azure keeps it out of the deployment's recorded inputs and outputs.
az deployment group create \
  --resource-group "$RESOURCE_GROUP" \
  --template-file main.bicep \
  --parameters name="$NAME" location="$LOCATION" connectorImage="$CONNECTOR_IMAGE" functionsImage="$FUNCTIONS_IMAGE" \
  --parameters accessKey="$BROKERCHAT_ACCESS_KEY" \
  --query properties.outputs --output jsonc
