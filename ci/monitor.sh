#!/usr/bin/env bash
# The hosted monitor's checks as code: creates each check of FILE (the observability
# environment's healthchecks.json, which `cargo xtask render` makes from the topology)
# through Healthchecks' management API (v3), or finds it by its name: each check says
# `unique: ["name"]`, so running this again creates nothing. The heartbeat
# (crates/heartbeat) pings them while each cluster's telemetry is recent.
#
#   ci/monitor.sh FILE   (HEALTHCHECKS_API_KEY: the project's API key, a secret of the
#                         GitHub Environment the job deploys through; HEALTHCHECKS_API_URL:
#                         another Healthchecks, https://healthchecks.io/api/v3 unless set)
set -euo pipefail
file="${1:?usage: ci/monitor.sh FILE}"
if [[ -z ${HEALTHCHECKS_API_KEY:-} ]]; then
  echo "HEALTHCHECKS_API_KEY is not set: add the Healthchecks project's API key as the secret HEALTHCHECKS_API_KEY of the GitHub Environment this job deploys through (ci/README.md)" >&2
  exit 1
fi
api="${HEALTHCHECKS_API_URL:-https://healthchecks.io/api/v3}"
count=0
while IFS= read -r check; do
  name="$(jq -r .name <<<"$check")"
  # The key goes in through curl's config on stdin, never on its command line.
  if ! printf 'header = "X-Api-Key: %s"\n' "$HEALTHCHECKS_API_KEY" |
    curl -fsS --retry 3 --config - -X POST "$api/checks/" \
      -H "Content-Type: application/json" --data-binary "$check" >/dev/null; then
    echo "could not create or find the check $name at $api" >&2
    exit 1
  fi
  count=$((count + 1))
done < <(jq -c '.checks[]' "$file")
echo "the monitor has its $count check(s)"
