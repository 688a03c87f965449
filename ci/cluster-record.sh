#!/usr/bin/env bash
# What an environment runs, recorded in its own cluster: the ConfigMap `release-record`
# of the namespace the services deploy to, beside the images CI pushed there. Buildkite's
# deploy steps keep their records here (a build's meta-data does not outlive the build):
# the deploy step writes it after a successful deploy, with its own login; the plan and
# the production gate read it with a login as viewers.
#   - `commit`: the commit the last successful deploy ran;
#   - `script`: the SHA-256 of the environments/ENV/deploy.sh it ran;
#   - `ran.SERVICE.VERSION` (a `+` in the version as `_`): the digest that version ran, for
#     every version the environment ever ran.
# Needs a Podplane login to ENV's cluster (ci/podplane-login.sh), jq and kubectl.
#
#   ci/cluster-record.sh record ENV MANIFEST   after ENV's deploy succeeded: MANIFEST holds
#                                              `SERVICE VERSION DIGEST` lines (deploy.sh's)
#   ci/cluster-record.sh expect ENV            prints `SERVICE VERSION DIGEST`, every version
#                                              ENV ran; fails when it has no record
#   ci/cluster-record.sh commit ENV            prints the commit ENV last deployed, or git's
#                                              empty tree when it has no record
#   ci/cluster-record.sh current ENV           succeeds when ENV's deploy.sh is the one its
#                                              last successful deploy ran
set -euo pipefail
readonly record=release-record
usage="usage: ci/cluster-record.sh record ENV MANIFEST | expect ENV | commit ENV | current ENV"
command="${1:?$usage}"
env="${2:?$usage}"
config="environments/$env/podplane.cluster.jsonc"
[[ -f $config ]] || {
  echo "ci/cluster-record.sh: $config not found: is \`$env\` an environment with a cluster?" >&2
  exit 2
}
# The kubectl context Podplane's login made: the cluster's id.
context="$(grep -v '^[[:space:]]*//' "$config" | jq -r .cluster.id)"

current_record() {
  kubectl get configmap "$record" --context "$context" -o json 2>/dev/null || echo '{"data":{}}'
}

script_sha() {
  sha256sum "environments/$env/deploy.sh" | cut -d' ' -f1
}

case "$command" in
  record)
    manifest="${3:?$usage}"
    commit="${BUILDKITE_COMMIT:-$(git rev-parse HEAD)}"
    patch="$(jq -R -s --arg commit "$commit" --arg script "$(script_sha)" '
      split("\n") | map(select(length > 0) | split(" "))
      | map({key: "ran.\(.[0]).\(.[1] | gsub("\\+"; "_"))", value: .[2]}) | from_entries
      | {data: (. + {commit: $commit, script: $script})}' "$manifest")"
    kubectl get configmap "$record" --context "$context" >/dev/null 2>&1 ||
      kubectl create configmap "$record" --context "$context" >/dev/null
    kubectl patch configmap "$record" --context "$context" --type merge --patch "$patch" >/dev/null
    echo "ci/cluster-record.sh: recorded what $env runs in $context"
    ;;
  expect)
    ran="$(current_record | jq -r '.data // {} | to_entries[] | select(.key | startswith("ran."))
      | (.key | ltrimstr("ran.") | capture("^(?<s>[^.]+)\\.(?<v>.+)$")) as $k
      | "\($k.s) \($k.v | gsub("_"; "+")) \(.value)"')"
    if [[ -z $ran ]]; then
      echo "ci/cluster-record.sh: $env has no successful deploy on record: deploy it before promoting from it" >&2
      exit 1
    fi
    echo "$ran"
    ;;
  commit)
    commit="$(current_record | jq -r '.data.commit // empty')"
    if [[ -n $commit ]] && git cat-file -e "$commit^{commit}" 2>/dev/null; then
      echo "$commit"
    else
      git hash-object -t tree /dev/null
    fi
    ;;
  current)
    [[ "$(current_record | jq -r '.data.script // empty')" == "$(script_sha)" ]]
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
