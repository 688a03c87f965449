#!/usr/bin/env bash
# The deploy pipeline's plan, in Buildkite: what this build of main rebuilds and deploys,
# uploaded as the build's next steps (`cargo xtask affected --format buildkite`). The
# change is compared with the commit BASE_ENV (the first environment CI deploys) last
# deployed, which its cluster's record holds (ci/cluster-record.sh), read as a viewer: a
# build that failed or never ran leaves that commit behind, and the next build rebuilds
# what it missed. Without a record (the first push) everything the repository declares is
# new.
#
#   ci/buildkite-plan.sh BASE_ENV   (PODPLANE_VERSION, KUBECTL_VERSION, HELM_VERSION: the
#                                   pins, which the pipeline's env sets)
set -euo pipefail
base_env="${1:?usage: ci/buildkite-plan.sh BASE_ENV}"
TOOLS_DIR="$(mktemp -d)"
export TOOLS_DIR PATH="$TOOLS_DIR:$PATH"
ci/install-tools.sh "${PODPLANE_VERSION:?}" "${KUBECTL_VERSION:?}" "${HELM_VERSION:?}"
PODPLANE_KEYRING_PASS="$(openssl rand -hex 32)"
export PODPLANE_KEYRING_PASS
ci/podplane-login.sh "$base_env"
base="$(ci/cluster-record.sh commit "$base_env")"
echo "--- the change since ${base:0:12}, what $base_env last deployed"
cargo xtask affected --base "$base"
steps="$(cargo xtask affected --base "$base" --format buildkite)"
buildkite-agent pipeline upload <<<"$steps"
