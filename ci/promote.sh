#!/usr/bin/env bash
# Promotes what FROM runs to TO as a pull request: `cargo xtask promote FROM TO` on a new
# branch, committed, pushed and opened with the GitHub CLI. The promote workflow runs it;
# GH_TOKEN is the job's token. When the pull request merges, the main workflow deploys TO.
#
#   ci/promote.sh FROM TO [SERVICE]
set -euo pipefail
from="${1:?usage: ci/promote.sh FROM TO [SERVICE]}"
to="${2:?usage: ci/promote.sh FROM TO [SERVICE]}"
service="${3:-}"
: "${GH_TOKEN:?the token the GitHub CLI pushes and opens the pull request with}"

args=(promote "$from" "$to")
if [[ -n $service ]]; then
  args+=(--service "$service")
fi
cargo xtask "${args[@]}"
if git diff --quiet; then
  echo "$to already runs what $from runs: nothing to promote"
  exit 0
fi

branch="promote/$from-to-$to-${GITHUB_RUN_ID:-$(date +%s)}"
title="Promote $from to $to${service:+ ($service)}"
git switch --create "$branch"
git -c user.name="github-actions[bot]" \
  -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
  commit --all --quiet --message "$title"
# The checkout kept no credentials: push with the job's token, for this one command.
git -c "http.https://github.com/.extraheader=AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GH_TOKEN" | base64 -w0)" \
  push --quiet origin "$branch"
gh pr create --base main --head "$branch" --title "$title" \
  --body "Made by \`cargo xtask promote $from $to\` in the promote workflow. Merging it deploys \`$to\` through its GitHub Environment, with the versions \`$from\` runs."
