#!/usr/bin/env bash
# The crates as they would be published: `cargo package` for lxns and lxns-cli (which also
# builds each from its .crate, the CLI against the packaged library), then each package's
# tests built from the unpacked .crate alone: nothing of the workspace beside it (the test
# helpers travel inside each package; crates/lxns-test-support/Cargo.toml says how).
#
#   tests/package.sh          # package, verify, build the packaged tests
#   RUN=1 tests/package.sh    # and run them (as root, as the workspace's are)
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(cargo metadata --no-deps --format-version 1 --locked |
  python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "lxns"))')
# `cargo package --workspace` verifies the CLI against the packaged library through a local
# registry under target/package: cargo extracts that crate into
# $CARGO_HOME/registry/src/<that registry's hash>/lxns-VERSION and builds it in target/debug
# like any registry crate, which it takes to be immutable. An earlier run's copy and build
# (same path, same version) would be reused as they were, stale. So both go first: the
# local registries' copies of our own crates (crates.io's, index.crates.io-*, are not
# touched) and our crates' artifacts.
rm -rf target/package
for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
  case $(basename "$dir") in index.crates.io-*) continue ;; esac
  rm -rf "$dir/lxns-$version" "$dir/lxns-cli-$version"
done
cargo clean --quiet -p lxns -p lxns-cli
cargo package --workspace --exclude lxns-test-support --locked --quiet
out=target/package-check
rm -rf "$out" && mkdir -p "$out"
for crate in lxns lxns-cli; do
  tar -xzf "target/package/$crate-$version.crate" -C "$out"
done
lib=$(cd "$out/lxns-$version" && pwd)
# Until lxns is on crates.io, the packaged CLI's dependency on it resolves to the packaged
# library, as `cargo publish --workspace` would (it publishes lxns first).
patch=(--config "patch.crates-io.lxns.path=\"$lib\"")
mode=(--no-run)
[ -z "${RUN:-}" ] || mode=(--no-fail-fast)
(cd "$out/lxns-$version" && cargo test --quiet "${mode[@]}")
(cd "$out/lxns-cli-$version" && cargo test --quiet "${patch[@]}" "${mode[@]}")
echo "package check: lxns and lxns-cli $version packaged; their tests build from the packages alone${RUN:+ and pass}"
