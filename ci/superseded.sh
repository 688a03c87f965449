#!/usr/bin/env bash
# Whether a newer push to main has superseded this run: main has moved past this run's
# commit. Then a newer run deploys the full declared state of every environment (which
# holds this run's changes), and this run's deploy does nothing, so that an older checkout
# never lands over a newer one. Writes `superseded=true|false` to $GITHUB_OUTPUT.
#
#   ci/superseded.sh      (GH_TOKEN: the job's token, contents: read)
set -euo pipefail
: "${GH_TOKEN:?the token of the job, with permissions: contents: read}"
: "${GITHUB_REPOSITORY:?set by GitHub Actions}" "${GITHUB_SHA:?set by GitHub Actions}"
head="$(gh api "repos/$GITHUB_REPOSITORY/commits/main" --jq .sha)"
superseded=false
if [[ $head != "$GITHUB_SHA" ]]; then
  # `ahead`: main holds this commit and more. Anything else (a force-push) deploys.
  status="$(gh api "repos/$GITHUB_REPOSITORY/compare/$GITHUB_SHA...$head" --jq .status)"
  if [[ $status == ahead ]]; then
    superseded=true
    echo "::notice::main is at ${head:0:12}, past this run's ${GITHUB_SHA:0:12}: the newer run deploys, this one does not"
  fi
fi
echo "superseded=$superseded" >>"${GITHUB_OUTPUT:-/dev/stdout}"
