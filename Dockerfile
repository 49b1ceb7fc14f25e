# CareLedger api + web app in one image: the `careledger` binary serving the
# built Yew app and GraphiQL. Multi-stage; dependency layers cached; offline sqlx builds;
# a small non-root runtime image. Base images are build arguments.
ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
ENV SQLX_OFFLINE=true CARGO_TERM_COLOR=never
WORKDIR /src
# The toolchain, the wasm target and the wasm-bindgen CLI matching Cargo.lock.
COPY rust-toolchain.toml Cargo.toml Cargo.lock ./
RUN rustup show active-toolchain \
 && rustup target add wasm32-unknown-unknown \
 && cargo install wasm-bindgen-cli --version "$(sed -n '/^name = "wasm-bindgen"$/{n;s/version = "\(.*\)"/\1/p}' Cargo.lock)"
# OpenSSL's headers and pkg-config: webauthn-rs (passkeys) links OpenSSL
# (the official rust image has them; the stand-in base of
# deploy/check-image.sh does not, and neither may another base).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
# Dependency layer: the manifests with empty crates, built once and cached
# until Cargo.toml or Cargo.lock change.
COPY api/Cargo.toml api/Cargo.toml
COPY api/password/Cargo.toml api/password/Cargo.toml
COPY bench/Cargo.toml bench/Cargo.toml
COPY vocab/Cargo.toml vocab/Cargo.toml
COPY web/Cargo.toml web/Cargo.toml
RUN mkdir -p api/src api/tests/it api/password/src bench/src vocab/src web/src \
 && echo 'fn main() {}' > api/src/main.rs && touch api/src/lib.rs api/tests/it/main.rs \
 && touch api/password/src/lib.rs bench/src/lib.rs vocab/src/lib.rs && echo 'fn main() {}' > bench/src/main.rs \
 && echo 'fn main() {}' > web/src/main.rs \
 && cargo build --release -p careledger \
 && cargo build --profile wasm-release -p careledger-web --target wasm32-unknown-unknown \
 && rm -rf api/src api/password/src bench/src vocab/src web/src
# GraphiQL is bundled from npm packages (scripts/build-web.sh): Debian's
# Node.js and npm, and only what package.json lists as `dependencies`
# (GraphiQL, React, graphql, graphql-ws, esbuild), as package-lock.json pins
# them; the chain and contract tooling (devDependencies) is left out. npm
# trusts the system's certificate authorities, as apt and cargo do.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt npm ci --omit=dev --no-audit --no-fund
# The sources.
COPY . .
RUN touch api/src/main.rs api/src/lib.rs api/password/src/lib.rs vocab/src/lib.rs web/src/main.rs \
 && cargo build --release -p careledger \
 && scripts/build-web.sh

FROM ${RUNTIME_IMAGE}
# libssl3: the api links OpenSSL (webauthn-rs, for passkeys).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/careledger --create-home careledger
COPY --from=build /src/target/release/careledger /usr/local/bin/careledger
COPY --from=build /src/web/dist /usr/share/careledger/web
ENV CARELEDGER_BIND=0.0.0.0:8443 \
    CARELEDGER_DATA_DIR=/var/lib/careledger \
    CARELEDGER_WEB_DIR=/usr/share/careledger/web
USER careledger
VOLUME /var/lib/careledger
EXPOSE 8443
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -kfsS https://127.0.0.1:8443/healthz >/dev/null || exit 1
ENTRYPOINT ["careledger"]
CMD ["serve"]
