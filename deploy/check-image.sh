#!/usr/bin/env bash
# Builds the root Dockerfile without a Docker engine or Docker Hub, then runs
# the built `careledger` binary from the image's filesystem.
#
#   deploy/check-image.sh               # build (or rebuild) and check
#   deploy/check-image.sh --check-only  # check the image already built
#   deploy/check-image.sh --keep-cache  # keep the build's cache layers
#   deploy/check-image.sh --rebuild-bases  # make both base images anew
#   deploy/check-image.sh --commit HEAD    # build a commit, not the working tree
#
# How: Debian's podman (no daemon) with `--isolation chroot` (no OCI runtime,
# cgroups or network namespace needed). Base images cannot be pulled, so:
#   - the runtime base (for debian:bookworm-slim) is a minimal bookworm made
#     with debootstrap from Debian's mirror and `podman import`ed;
#   - the build base (for rust:1.95-bookworm) is that base plus a C toolchain
#     from apt and a copy of this host's rustup toolchain, because Rust's
#     toolchain server is not one of the hosts this machine may use (only
#     package registries: Debian's mirror, crates.io, npm's, ...).
# Everything podman stores goes under $CARELEDGER_IMAGE_WORK, never the repo.
#
# Environment: CARELEDGER_IMAGE_WORK (default /var/tmp/careledger-image),
# CARELEDGER_IMAGE (default localhost/careledger:check), DEBIAN_MIRROR,
# MIN_FREE_GB (default 20), RUSTUP_HOME/CARGO_HOME (the host's toolchain).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=${CARELEDGER_IMAGE_WORK:-/var/tmp/careledger-image}
image=${CARELEDGER_IMAGE:-localhost/careledger:check}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
min_free_gb=${MIN_FREE_GB:-20}
suite=bookworm
channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$repo/rust-toolchain.toml")
host_triple=$(uname -m)-unknown-linux-gnu
base_image=localhost/careledger-base:$suite
rust_image=localhost/careledger-rust:$channel-$suite

check_only=false
keep_cache=false
rebuild_bases=false
commit=
while (( $# > 0 )); do
  arg=$1
  shift
  case $arg in
    --commit) commit=${1:?--commit needs a revision}; shift ;;
    --check-only) check_only=true ;;
    --keep-cache) keep_cache=true ;;
    --rebuild-bases) rebuild_bases=true ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-image: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf '\n==> %s\n' "$*"; }
die() { echo "check-image: $*" >&2; exit 1; }

# The machine is shared: everything heavy runs at the lowest CPU and I/O priority.
low() {
  if command -v ionice >/dev/null; then nice -n 19 ionice -c 3 "$@"; else nice -n 19 "$@"; fi
}

# podman with its storage, run state and temporary files kept in $work
# (an array, not only a function, so that `low` can run it too).
podman_cmd=(podman --root "$work/storage" --runroot "$work/run" --tmpdir "$work/run/libpod"
  --storage-driver overlay --cgroup-manager cgroupfs --events-backend file)
pm() { "${podman_cmd[@]}" "$@"; }

# Stops before a big step would leave less than $min_free_gb on the disks used.
need_space() {
  local dir avail
  for dir in "$work" "$repo"; do
    avail=$(df -P -BG "$dir" | awk 'NR == 2 { sub("G", "", $4); print $4 }')
    (( avail >= min_free_gb )) || die "only ${avail} GB free on $dir before $1; need at least ${min_free_gb} GB"
  done
  echo "free space: $(df -h --output=avail "$work" | tail -1 | tr -d ' ') on $work (before $1)"
}

# podman builds the image and debootstrap makes its base; neither comes with
# Debian by default, so install them from Debian's archive (which is reachable
# here, unlike Docker Hub).
install_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)
  (( ${#missing[@]} == 0 )) && return
  say "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The runtime base: a minimal bookworm (what debian:bookworm-slim is), made
# once; a re-run finds the imported image and skips debootstrap.
make_base() {
  if pm image exists "$base_image"; then
    echo "base image $base_image exists: debootstrap skipped"
    return
  fi
  need_space "debootstrap"
  local rootfs=$work/rootfs
  # A half-made root file system from an interrupted run is not trusted.
  if [[ ! -f $work/rootfs.done ]]; then
    rm -rf "$rootfs"
    say "debootstrap $suite (minbase) from $mirror"
    low debootstrap --variant=minbase "$suite" "$rootfs" "$mirror"
    touch "$work/rootfs.done"
  fi
  # The same apt sources as the official image, no downloaded package files,
  # and none of this host's name or resolver settings.
  rm -f "$rootfs/etc/apt/sources.list" "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${mirror}
Suites: ${suite} ${suite}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: ${suite}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  say "importing $base_image"
  tar -C "$rootfs" --numeric-owner -cf "$work/rootfs.tar" .
  pm import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' "$work/rootfs.tar" "$base_image" >/dev/null
  rm -rf "$rootfs" "$work/rootfs.tar" "$work/rootfs.done"
}

# The build base, standing in for rust:$channel-bookworm: same RUSTUP_HOME,
# CARGO_HOME and PATH; a C toolchain for build scripts and linking (the real
# image has it from buildpack-deps); and the host's $channel toolchain, which
# already holds the components and wasm target rust-toolchain.toml asks for.
make_rust() {
  if pm image exists "$rust_image"; then
    echo "build base $rust_image exists: reused"
    return
  fi
  local rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
  local cargo_home=${CARGO_HOME:-$HOME/.cargo}
  local toolchain=$rustup_home/toolchains/$channel-$host_triple
  [[ -x $toolchain/bin/rustc ]] || die "no $channel toolchain at $toolchain (rustup toolchain install $channel)"
  [[ -d $toolchain/lib/rustlib/wasm32-unknown-unknown ]] \
    || die "the $channel toolchain lacks wasm32-unknown-unknown (rustup target add --toolchain $channel wasm32-unknown-unknown)"
  need_space "the build base"
  say "staging the host's $channel toolchain for $rust_image"
  local ctx=$work/rust-context
  rm -rf "$ctx"
  mkdir -p "$ctx/toolchain"
  # Only the toolchain and rustup itself: no registry cache, no target dirs.
  # The rust-docs component (0.8 GB of HTML) is left out, as the official
  # image's minimal profile does, and unregistered so rustup stays consistent.
  low tar -C "$(readlink -f "$toolchain")" --exclude=./share/doc/rust/html -cf - . | tar -C "$ctx/toolchain" -xf -
  rm -f "$ctx/toolchain/lib/rustlib/manifest-rust-docs-$host_triple"
  sed -i "/^rust-docs-$host_triple\$/d" "$ctx/toolchain/lib/rustlib/components"
  cp "$(readlink -f "$cargo_home/bin/rustup")" "$ctx/rustup-init"
  # Certificate authorities this host adds to Debian's (here: the egress proxy
  # that HTTPS to crates.io passes through), so cargo in the build trusts what
  # the host trusts. Only the build base gets them, never the runtime image.
  mkdir -p "$ctx/local-ca"
  find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$ctx/local-ca/" \; 2>/dev/null || true
  cat >"$ctx/Containerfile" <<EOF
FROM $base_image
COPY local-ca /usr/local/share/ca-certificates
RUN apt-get update \\
 && apt-get install -y --no-install-recommends ca-certificates curl git gcc g++ libc6-dev make pkg-config xz-utils \\
 && rm -rf /var/lib/apt/lists/* \\
 && update-ca-certificates
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo RUST_VERSION=$channel \\
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY toolchain /usr/local/rustup/toolchains/$channel-$host_triple
COPY rustup-init /tmp/rustup-init
# rustup-init with no default toolchain downloads nothing: it installs rustup
# and its proxies (cargo, rustc, ...); the copied toolchain becomes the default.
RUN /tmp/rustup-init -y -q --no-modify-path --profile minimal --default-toolchain none \\
 && rm /tmp/rustup-init \\
 && rustup default $channel-$host_triple \\
 && rustup --version && cargo --version && rustc --version
EOF
  say "building $rust_image"
  low "${podman_cmd[@]}" build --isolation chroot --pull=never --format docker -t "$rust_image" "$ctx"
  rm -rf "$ctx"
}

build_image() {
  need_space "the image build"
  local ctx=$repo
  # A commit's tree, exported, is a build context no one edits meanwhile
  # (git archive leaves out untracked files; .dockerignore still applies).
  if [[ -n $commit ]]; then
    ctx=$work/context
    rm -rf "$ctx"
    mkdir -p "$ctx"
    git -C "$repo" archive --format=tar "$commit" | tar -C "$ctx" -xf -
    echo "context: $commit ($(git -C "$repo" rev-parse --short "$commit")) exported to $ctx"
  fi
  say "building $image from $ctx/Dockerfile"
  local start=$SECONDS
  # --format docker keeps HEALTHCHECK (the OCI format has no field for it).
  low "${podman_cmd[@]}" build --isolation chroot --pull=never --format docker --layers \
    --build-arg RUST_IMAGE="$rust_image" --build-arg RUNTIME_IMAGE="$base_image" \
    -t "$image" -f "$ctx/Dockerfile" "$ctx"
  local took=$(( SECONDS - start ))
  echo "image build took $(( took / 60 )) min $(( took % 60 )) s"
  [[ $ctx == "$repo" ]] || rm -rf "$ctx"
}

# Runs the binary from the image's root file system, as the image's user with
# the image's environment plus what docker-compose.yml gives the api service.
check_image() {
  pm image exists "$image" || die "no image $image: run without --check-only first"
  say "checking $image"
  pm image inspect --format 'size: {{.Size}} bytes; user: {{.User}}; entrypoint: {{.Config.Entrypoint}} {{.Config.Cmd}}; healthcheck: {{.HealthCheck.Test}}' "$image"
  local mnt
  mnt=$(pm image mount "$image")
  trap 'pm image unmount "$image" >/dev/null' EXIT
  local user uid gid
  user=$(pm image inspect --format '{{.User}}' "$image")
  uid=$(awk -F: -v u="$user" '$1 == u { print $3 }' "$mnt/etc/passwd")
  gid=$(awk -F: -v u="$user" '$1 == u { print $4 }' "$mnt/etc/passwd")
  [[ -n $uid && $uid != 0 ]] || die "the image's user '$user' is missing or root"
  local -a image_env
  mapfile -t image_env < <(pm image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" | sed '/^$/d')
  local web_dir
  web_dir=$(printf '%s\n' "${image_env[@]}" | sed -n 's/^CARELEDGER_WEB_DIR=//p')
  for f in index.html style.css boot.js careledger_web.js careledger_web_bg.wasm \
           graphiql/index.html graphiql/graphiql.js graphiql/graphiql.css; do
    [[ -s $mnt$web_dir/$f ]] || die "the web app is incomplete: no $web_dir/$f in the image"
  done
  ls "$mnt$web_dir"/graphiql/fonts/*.woff2 >/dev/null 2>&1 || die "GraphiQL's fonts are not in $web_dir/graphiql/fonts"
  echo "web app in $web_dir: $(cd "$mnt$web_dir" && echo *) (graphiql: $(cd "$mnt$web_dir/graphiql" && echo *))"

  # Throwaway secrets, made afresh on every run: none may show in the output.
  local pg_password root_password gateway_key
  pg_password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  root_password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  gateway_key=0x$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
  local admin_address
  admin_address=0x$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
  local -a compose_env=(
    "DATABASE_URL=postgres://careledger:$pg_password@postgres:5432/careledger"
    "CHAIN_RPC_URL=http://chain:8545"
    "CHAIN_GATEWAY_KEY=$gateway_key"
    "CHAIN_ADMIN_ADDRESS=$admin_address"
    "CARELEDGER_ROOT_PASSWORD=$root_password"
    "CARELEDGER_GATE=group"
    "TLS_CERT="
    "TLS_KEY="
    "CARELEDGER_WEBAUTHN_ORIGIN=https://localhost:8443"
    "CARELEDGER_WEBAUTHN_RP_ID="
  )
  in_image() {
    chroot --userspec="$uid:$gid" "$mnt" /usr/bin/env -i "${image_env[@]}" "HOME=/var/lib/careledger" "$@"
  }

  say "careledger --version (in the image, as $user)"
  in_image careledger --version

  say "careledger check-config (in the image, with docker-compose.yml's environment)"
  local out
  out=$(in_image "${compose_env[@]}" careledger check-config)
  printf '%s\n' "$out"
  local want
  for want in 'bind: 0.0.0.0:8443' 'data_dir: "/var/lib/careledger"' \
              'web_dir: "/usr/share/careledger/web"' 'chain_rpc_url: "http://chain:8545"'; do
    grep -qF "$want" <<<"$out" || die "check-config does not show $want"
  done
  for secret in "$pg_password" "$root_password" "${gateway_key#0x}"; do
    if grep -qF "$secret" <<<"$out"; then die "check-config printed a secret"; fi
  done

  say "a malformed setting is refused (CARELEDGER_GATE=fast)"
  local rc=0
  out=$(in_image "${compose_env[@]}" CARELEDGER_GATE=fast careledger check-config 2>&1) || rc=$?
  printf '%s (exit %s)\n' "$out" "$rc"
  [[ $rc == 2 && $out == *CARELEDGER_GATE* ]] || die "expected exit 2 naming CARELEDGER_GATE"

  pm image unmount "$image" >/dev/null
  trap - EXIT
  say "image OK: $image ($(pm image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
}

# Root, because debootstrap, chroot and installing with apt-get need it (and
# rootless podman could not mount the image for the check).
[[ $(id -u) -eq 0 ]] || die "run as root (debootstrap, chroot, apt-get and podman image mount need it)"
mkdir -p "$work/run/libpod"
export TMPDIR=$work/run/tmp
mkdir -p "$TMPDIR"
install_tools
if ! $check_only; then
  if $rebuild_bases; then
    pm rmi --force "$rust_image" "$base_image" 2>/dev/null || true
  fi
  make_base
  make_rust
  build_image
fi
check_image
if ! $check_only && ! $keep_cache; then
  # The build stage's cache layers (several GB of target/) are not needed to
  # re-check; the bases and the final image stay.
  say "removing build cache"
  pm image prune -f >/dev/null
  pm images
fi
