#!/usr/bin/env bash
# Logs this CI job in to ENV's cluster without a stored secret: GitHub issues the job an
# OIDC token whose audience is the cluster id and whose subject names the repository and
# the GitHub Environment (repo:OWNER/REPO:environment:ENV), and the cluster's API server
# trusts GitHub's issuer for that audience (ci/README.md says how to set that up). Writes
# a kubeconfig context named after the cluster, which ENV's deploy.sh selects, then has
# Podplane cache the cluster's summary from its config. Fails rather than prompts.
#
#   ci/cluster-login.sh ENV      (in a job with `permissions: id-token: write`)
set -euo pipefail
env="${1:?usage: ci/cluster-login.sh ENV}"
config="environments/$env/podplane.cluster.jsonc"
if [[ ! -f $config ]]; then
  echo "ci/cluster-login.sh: $config not found: is \`$env\` an environment with a cluster?" >&2
  exit 2
fi
if [[ -z "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" || -z "${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-}" ]]; then
  echo "ci/cluster-login.sh: no OIDC token to request: run it in a GitHub Actions job with \`permissions: id-token: write\`" >&2
  exit 1
fi

# The cluster's id and API host name, from its generated config: `"id": "..."` and
# `"api_hostname": "..."`.
value_of() {
  sed -n "s/^ *\"$1\": \"\\([^\"]*\\)\".*/\\1/p" "$config" | head -n 1
}
cluster="$(value_of id)"
api="$(value_of api_hostname)"
if [[ -z $cluster || -z $api ]]; then
  echo "ci/cluster-login.sh: $config names no cluster id or api_hostname" >&2
  exit 2
fi

token="$(curl --fail --silent --show-error \
  -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
  "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=$cluster" |
  sed -n 's/.*"value" *: *"\([^"]*\)".*/\1/p')"
if [[ -z $token ]]; then
  echo "ci/cluster-login.sh: GitHub issued no OIDC token for the audience $cluster" >&2
  exit 1
fi

export KUBECONFIG="${RUNNER_TEMP:-$(mktemp -d)}/kubeconfig-$cluster"
umask 077
cat > "$KUBECONFIG" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: $cluster
    cluster:
      server: https://$api:6443
users:
  - name: github-actions
    user:
      token: $token
contexts:
  - name: $cluster
    context:
      cluster: $cluster
      user: github-actions
current-context: $cluster
KUBECONFIG
if [[ -n "${GITHUB_ENV:-}" ]]; then
  echo "KUBECONFIG=$KUBECONFIG" >> "$GITHUB_ENV"
fi

# `podplane deploy` reads the cluster summary that `podplane login -f` caches. Headless:
# no browser, and no terminal to answer a question on, so that a login that needs a
# person fails here instead of waiting.
timeout 120 podplane login -f "$config" --headless < /dev/null
