#!/usr/bin/env bash
# Opens the upgrade to the toolkit's newest release as a pull request. `cargo xtask upgrade
# --to latest` moves the pin in xtask/Cargo.toml and Cargo.lock when the toolkit's git
# repository has a release tag newer than the toolkit pinned; then `cargo xtask upgrade`,
# run by the new toolkit, brings the files to it. Conflicts it marks are committed as
# they are and listed in the pull request, to be resolved on its branch. The upgrade
# workflow runs it; GH_TOKEN is the job's token.
#
#   ci/upgrade.sh
set -euo pipefail
: "${GH_TOKEN:?the token the GitHub CLI pushes and opens the pull request with}"

cargo xtask upgrade --to latest
if git diff --quiet; then
  echo "the toolkit pinned is its newest release: nothing to upgrade"
  exit 0
fi
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
status=0
cargo xtask upgrade >"$report" 2>&1 || status=$?
cat "$report"
# 1 is an upgrade with conflicts marked, which a person resolves on the branch.
if ((status > 1)); then
  exit "$status"
fi

pin="$(sed -n 's/^pin = "\(.*\)"$/\1/p' toolkit.toml)"
branch="upgrade/toolkit-${pin##*@}"
if [[ -n "$(gh pr list --head "$branch" --json number --jq '.[].number')" ]]; then
  echo "a pull request for $branch is open already"
  exit 0
fi
title="Upgrade the toolkit to ${pin##*@}"
git switch --create "$branch"
git add --all
git -c user.name="github-actions[bot]" \
  -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
  commit --quiet --message "$title"
# The checkout kept no credentials: push with the job's token, for this one command.
git -c "http.https://github.com/.extraheader=AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GH_TOKEN" | base64 -w0)" \
  push --quiet origin "$branch"
fence='```'
body="Made by ci/upgrade.sh in the upgrade workflow: the pin moved to $pin, and cargo xtask upgrade said:

${fence}text
$(cat "$report")
${fence}"
if ((status == 1)); then
  body+="

The upgrade marked conflicts (<<<<<<< … >>>>>>> in the files listed): resolve them on this branch before merging."
fi
gh pr create --base main --head "$branch" --title "$title" --body "$body"
