#!/usr/bin/env bash
# One environment's deploy step of Buildkite's deploy pipeline (uploaded by the plan,
# ci/buildkite-plan.sh): logs in to the environment's cluster as this step, whose key its
# trust binding names; deploys, each image by the digest CI built, unless the cluster's
# record says its deploy.sh already ran there (ci/cluster-record.sh: a deploy an earlier
# build missed is caught up here, and a re-run deploys nothing twice); then records what
# it runs. A production-stage environment promoted from another (PROMOTED_FROM) first
# passes the promotion gate: it may run only what that environment had at BASE
# (ci/promotion-gate.sh), and only the digests it ran, read from its cluster as a viewer.
#
#   ci/buildkite-deploy.sh   with, from the step:
#     DEPLOY_ENVIRONMENT  the environment
#     BASE                the commit the first environment CI deploys had before this build
#     REGISTRIES          the build registries the images are pulled from
#     PROMOTED_FROM       (production) the environment it is promoted from
#     GATE=parity         (production without a promotion path) staging must match it
#     MONITOR_CHECKS      (observability) the hosted monitor's checks to apply; the API key
#                         is the Buildkite secret HEALTHCHECKS_API_KEY
#     RUSTUP_TOOLCHAIN, PODPLANE_VERSION, KUBECTL_VERSION, HELM_VERSION   the pins
set -euo pipefail
env="${DEPLOY_ENVIRONMENT:?the environment this step deploys}"
: "${BASE:?the commit this build is compared with}"
TOOLS_DIR="$(mktemp -d)"
export TOOLS_DIR PATH="$TOOLS_DIR:$PATH"
ci/install-tools.sh "${PODPLANE_VERSION:?}" "${KUBECTL_VERSION:?}" "${HELM_VERSION:?}"
PODPLANE_KEYRING_PASS="$(openssl rand -hex 32)"
export PODPLANE_KEYRING_PASS
ci/podplane-login.sh "$env"
if ci/cluster-record.sh current "$env"; then
  echo "$env already runs environments/$env/deploy.sh as it is: nothing to deploy"
  exit 0
fi
gate=""
if [[ -n ${PROMOTED_FROM:-} ]]; then
  rustup toolchain install "${RUSTUP_TOOLCHAIN:?}" --profile minimal
  echo "--- only versions $PROMOTED_FROM ran before this build (the promotion path)"
  ci/promotion-gate.sh "$PROMOTED_FROM" "$env" "$BASE"
  ci/podplane-login.sh "$PROMOTED_FROM"
  gate="$(mktemp)"
  ci/cluster-record.sh expect "$PROMOTED_FROM" >"$gate"
elif [[ ${GATE:-} == parity ]]; then
  rustup toolchain install "${RUSTUP_TOOLCHAIN:?}" --profile minimal
  echo "--- staging matches production"
  cargo xtask parity
fi
for registry in ${REGISTRIES:-}; do
  ci/registry-login.sh "$registry"
done
manifest="$(mktemp)"
echo "--- deploy $env, each image by the digest CI built"
RELEASE_MANIFEST="$manifest" RELEASE_GATE="$gate" "environments/$env/deploy.sh" </dev/null
ci/cluster-record.sh record "$env" "$manifest"
if [[ -n ${MONITOR_CHECKS:-} ]]; then
  echo "--- the hosted monitor's checks, one per cluster the heartbeat watches"
  HEALTHCHECKS_API_KEY="$(buildkite-agent secret get HEALTHCHECKS_API_KEY)"
  export HEALTHCHECKS_API_KEY
  ci/monitor.sh "$MONITOR_CHECKS"
fi
