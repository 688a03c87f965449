#!/usr/bin/env bash
# What a push to main builds and deploys, as `name=value` lines for $GITHUB_OUTPUT:
# `services` and `environments` as `cargo xtask affected --base BASE` lists them, and
# `deploy`: every ENV whose deploy.sh the push changed, and every ENV whose deploy.sh is
# not the one its last successful deploy ran (a deploy an earlier run had cancelled,
# skipped or failed, caught up now).
#
#   ci/deploy-plan.sh BASE ENV...     (GH_TOKEN: the job's token, deployments: read)
set -euo pipefail
base="${1:?usage: ci/deploy-plan.sh BASE ENV...}"
shift
affected="$(cargo xtask affected --base "$base" --format github)"
changed="[]"
while IFS= read -r line; do
  case "$line" in
    deploy=*) changed="${line#deploy=}" ;;
    *) echo "$line" ;;
  esac
done <<<"$affected"
behind="$(ci/release-record.sh behind "$@")"
echo "deploy=$(jq -cn --argjson changed "$changed" --argjson behind "$behind" '$changed + $behind | unique')"
