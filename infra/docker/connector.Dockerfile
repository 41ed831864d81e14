# BrokerChat connector image. Build from the repository root:
#   docker build -f infra/docker/connector.Dockerfile -t brokerchat/connector .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# global.json stays out: it pins an SDK feature band the image need not have.
COPY .editorconfig Directory.Build.props Directory.Packages.props ./
COPY shared/ shared/
COPY connector/ connector/
# The connector alone: no function workers, moderation or embedded Kafka (they are for local runs).
RUN dotnet publish connector/BrokerChat.Connector.csproj -c Release -o /app -p:UseAppHost=false -p:BrokerChatLocalRun=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# Kafka client: the package's librdkafka.so wants libsasl2.so.3, which Debian and Ubuntu do not ship (they have .so.2),
# so Confluent.Kafka falls back to centos8-librdkafka.so, which links OpenSSL, SASL and the codecs statically and
# needs glibc alone. This fails the build if that fallback could not load here (x64; arm64's own build needs glibc only).
RUN set -eu; for lib in runtimes/linux-*/native/centos8-librdkafka.so; do \
      [ -e "$lib" ] || continue; if ldd "$lib" | grep -q "not found"; then ldd "$lib"; exit 1; fi; done
# The aspnet image listens on 8080 (ASPNETCORE_HTTP_PORTS) and runs as the non-root user "app" (uid 1654).
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_gcServer=0
EXPOSE 8080
USER $APP_UID
# No curl in the image: bash's /dev/tcp asks /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "BrokerChat.Connector.dll"]
