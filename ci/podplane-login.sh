#!/usr/bin/env bash
# Logs this CI job in to ENV's cluster with Podplane's service login: Podplane asks the CI
# provider (GitHub Actions, or Buildkite when BUILDKITE=true) for a token whose audience
# is the cluster's OIDC client id and exchanges it at the issuer for a short-lived token
# of the one trust binding that matches (rendered in
# environments/identity/truster_override.tf.json). Podplane keeps that token in its
# encrypted file keyring and configures the kubectl context deploy.sh selects; no
# kubeconfig or token is written here. Fails rather than prompts.
#
# The keyring's password is one random value per job, never printed: made here unless
# PODPLANE_KEYRING_PASS is set. In GitHub Actions it is masked in the log and handed to
# the job's later steps; a Buildkite step runs one command, which sets it once for all its
# logins.
#
#   ci/podplane-login.sh ENV      (GitHub: a job with `permissions: id-token: write`;
#                                 Buildkite: a step whose key a binding of ENV names)
set -euo pipefail
env="${1:?usage: ci/podplane-login.sh ENV}"
config="environments/$env/podplane.cluster.jsonc"
if [[ ! -f $config ]]; then
  echo "ci/podplane-login.sh: $config not found: is \`$env\` an environment with a cluster?" >&2
  exit 2
fi
if [[ ${BUILDKITE:-} == true ]]; then
  provider=buildkite
  if ! command -v buildkite-agent >/dev/null; then
    echo "ci/podplane-login.sh: buildkite-agent is not on the PATH: Podplane asks it for the step's identity token" >&2
    exit 1
  fi
else
  provider=github
  if [[ -z ${ACTIONS_ID_TOKEN_REQUEST_URL:-} || -z ${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-} ]]; then
    echo "ci/podplane-login.sh: GitHub offers this job no identity token: run it in a GitHub Actions job with \`permissions: id-token: write\`" >&2
    exit 1
  fi
fi
if [[ -z ${PODPLANE_KEYRING_PASS:-} ]]; then
  PODPLANE_KEYRING_PASS="$(openssl rand -hex 32)"
  if [[ $provider == github ]]; then
    echo "::add-mask::$PODPLANE_KEYRING_PASS"
    if [[ -n ${GITHUB_ENV:-} ]]; then
      echo "PODPLANE_KEYRING_PASS=$PODPLANE_KEYRING_PASS" >>"$GITHUB_ENV"
    fi
  fi
fi
export PODPLANE_KEYRING_PASS
if ! podplane login -f "$config" --identity-provider "$provider" </dev/null; then
  if [[ $provider == buildkite ]]; then
    cat >&2 <<MESSAGE
ci/podplane-login.sh: the issuer did not let this step in to $env's cluster. Check, in order:
  - a trust binding of $env's client names this step's key (${BUILDKITE_STEP_KEY:-none}): the binding
    buildkite-deploy-$env for its deploy step, buildkite-<step>-reads-$env for a step that reads it,
    in environments/identity/truster_override.tf.json, applied with
    \`podplane oidc create -f environments/identity/podplane.oidc.jsonc\` (ci/README.md);
  - [buildkite] in environments/platform.toml names this organisation and pipeline and their
    organization_id and pipeline_id, not placeholders (\`cargo xtask check\` warns at a placeholder);
  - this is a build of main of the deploy pipeline: the bindings match nothing else (another branch,
    another pipeline, the pull-request pipeline).
MESSAGE
  else
    cat >&2 <<MESSAGE
ci/podplane-login.sh: the issuer did not let this job in to $env's cluster. Check, in order:
  - the trust binding github-deploy-$env is on the issuer: environments/identity/truster_override.tf.json,
    applied with \`podplane oidc create -f environments/identity/podplane.oidc.jsonc\` (ci/README.md);
  - [github] in environments/platform.toml names this repository and its owner_id and repository_id,
    not placeholders (\`cargo xtask check\` warns at a placeholder);
  - this job runs in the GitHub Environment \`$env\`, in .github/workflows/main.yml, on a push to main:
    the binding matches nothing else (a re-run by hand of another branch, a pull request or another
    workflow is refused).
MESSAGE
  fi
  exit 1
fi
