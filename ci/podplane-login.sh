#!/usr/bin/env bash
# Logs this CI job in to ENV's cluster with Podplane's service login: Podplane asks GitHub
# for a token whose audience is the cluster's OIDC client id and exchanges it at the
# issuer for a short-lived token of the one trust binding that matches (rendered in
# environments/identity/truster_override.tf.json). Podplane keeps that token in its
# encrypted file keyring and configures the kubectl context deploy.sh selects; no
# kubeconfig or token is written here. Fails rather than prompts.
#
# The keyring's password is one random value per job, masked in the log and never printed:
# made here unless PODPLANE_KEYRING_PASS is set, and handed to the job's later steps.
#
#   ci/podplane-login.sh ENV      (in a job with `permissions: id-token: write`)
set -euo pipefail
env="${1:?usage: ci/podplane-login.sh ENV}"
config="environments/$env/podplane.cluster.jsonc"
if [[ ! -f $config ]]; then
  echo "ci/podplane-login.sh: $config not found: is \`$env\` an environment with a cluster?" >&2
  exit 2
fi
if [[ -z ${ACTIONS_ID_TOKEN_REQUEST_URL:-} || -z ${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-} ]]; then
  echo "ci/podplane-login.sh: GitHub offers this job no identity token: run it in a GitHub Actions job with \`permissions: id-token: write\`" >&2
  exit 1
fi
if [[ -z ${PODPLANE_KEYRING_PASS:-} ]]; then
  PODPLANE_KEYRING_PASS="$(openssl rand -hex 32)"
  echo "::add-mask::$PODPLANE_KEYRING_PASS"
  if [[ -n ${GITHUB_ENV:-} ]]; then
    echo "PODPLANE_KEYRING_PASS=$PODPLANE_KEYRING_PASS" >>"$GITHUB_ENV"
  fi
fi
export PODPLANE_KEYRING_PASS

if ! podplane login -f "$config" --identity-provider github </dev/null; then
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
  exit 1
fi
