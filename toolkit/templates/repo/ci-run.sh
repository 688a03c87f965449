#!/usr/bin/env bash
# What CI runs on a clean clone: format, lints, this repository's own tests (its services
# and its xtask, which builds the toolkit it pins), `cargo xtask check` (every rule,
# `render --check` and parity among them) and `cargo xtask parity`, which shows how each
# candidate differs from production (or says there is none to compare).
# The toolkit's own tests run where the toolkit lives, not here.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --all --check"
cargo fmt --all --check
echo "== cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test --workspace"
cargo test --workspace
echo "== cargo xtask check (includes render --check and parity)"
cargo xtask check
echo "== cargo xtask parity"
cargo xtask parity
