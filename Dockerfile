# syntax=docker/dockerfile:1
#
# The Spoke gateway, built from this repository and installed from its own
# npm tarballs — the install test/packaging checks — so the image holds the
# gateway, the connectors named in CONNECTORS and their run-time
# dependencies, and nothing of the build.
#
#   docker build -t spoke --build-arg CONNECTORS="duckdb postgres" .
#   docker run -p 8080:8080 -p 5433:5433 -v $PWD/spoke.yaml:/etc/spoke/spoke.yaml:ro spoke
#
# Listeners inside a container must bind 0.0.0.0 (server.http.host in the
# config), which the gateway allows only with users: configured. See
# docs/operators-guide.md, "Running it as a service", for what has and has
# not been run of this file.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: compile every package and pack the publishable ones ---------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
# Native modules (DuckDB, LanceDB) ship prebuilt binaries: no compiler needed.
RUN npm ci --no-audit --no-fund \
 && npx turbo run build --output-logs=errors-only \
 && node scripts/install-from-packs.mjs pack /packs

# --- install: the gateway and the chosen connectors, from the tarballs only ---
FROM ${NODE_IMAGE} AS install
ARG CONNECTORS="duckdb postgres"
COPY --from=build /packs /packs
COPY scripts/install-from-packs.mjs /usr/local/lib/spoke/install-from-packs.mjs
RUN set -eu; \
    packages="@spoke/gateway @spoke/console"; \
    for c in $CONNECTORS; do packages="$packages @spoke/connector-$c"; done; \
    node /usr/local/lib/spoke/install-from-packs.mjs install /packs /opt/spoke $packages

# --- runtime: node and /opt/spoke, run as the unprivileged user `node` --------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
COPY --from=install /opt/spoke /opt/spoke
RUN mkdir -p /etc/spoke /var/lib/spoke \
 && chown node:node /var/lib/spoke
USER node
WORKDIR /var/lib/spoke
EXPOSE 8080 5433
# /healthz answers 200 without authentication; set SPOKE_HTTP_PORT if the config moves HTTP off 8080.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SPOKE_HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/spoke/node_modules/@spoke/gateway/bin/spoke.js"]
CMD ["serve", "--config", "/etc/spoke/spoke.yaml"]
