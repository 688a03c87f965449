#!/usr/bin/env bash
# What CI runs on a clean clone: format, lints, the tests (with shellcheck required), and
# `cargo xtask check` and `diff staging prod` on the environments.
set -euo pipefail
cd "$(dirname "$0")/.."

if { ! command -v shellcheck >/dev/null || ! command -v jq >/dev/null; } && command -v apt-get >/dev/null; then
  echo "== installing shellcheck and jq (the tests check every generated deploy.sh with the first; ci/release.sh and the rehearsal of the deploy jobs use the second)"
  apt-get update -qq && apt-get install -y -qq shellcheck jq >/dev/null
fi
export REQUIRE_SHELLCHECK=1

echo "== cargo fmt --all --check"
cargo fmt --all --check
echo "== cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test --workspace"
cargo test --workspace
echo "== cargo xtask check (includes render --check and parity)"
cargo xtask check
echo "== cargo xtask diff staging prod"
cargo xtask diff staging prod
