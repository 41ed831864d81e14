# BrokerChat functions image (the standalone Kafka worker). Build from the repository root:
#   docker build -f infra/docker/functions.Dockerfile -t brokerchat/functions .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# global.json stays out: it pins an SDK feature band the image need not have.
COPY .editorconfig Directory.Build.props Directory.Packages.props ./
COPY shared/ shared/
COPY functions/ functions/
RUN dotnet publish functions/BrokerChat.Functions.csproj -c Release -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# See connector.Dockerfile: Confluent.Kafka loads centos8-librdkafka.so here, which needs glibc alone.
RUN set -eu; for lib in runtimes/linux-*/native/centos8-librdkafka.so; do \
      [ -e "$lib" ] || continue; if ldd "$lib" | grep -q "not found"; then ldd "$lib"; exit 1; fi; done
# /healthz, /readyz and /metrics on 8081 (Functions:HealthUrls); the workers need no other port.
ENV Functions__HealthUrls=http://+:8081 \
    ASPNETCORE_HTTP_PORTS= \
    DOTNET_gcServer=0
EXPOSE 8081
USER $APP_UID
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8081 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "BrokerChat.Functions.dll"]
