#!/usr/bin/env bash
# Prints, as markdown, what the working tree changes since BASE: the services to rebuild
# and the environments whose deployment changed, then the diff of each such environment
# against itself at BASE. CI appends it to the job summary; run it locally to see what a
# branch would do:
#
#   ci/plan.sh origin/main
set -euo pipefail
base="${1:?usage: ci/plan.sh BASE (a branch, tag or commit)}"

echo "## What this change rebuilds and deploys"
echo
echo '```text'
cargo xtask affected --base "$base"
echo '```'

environments=""
while IFS= read -r line; do
  case "$line" in
    environments=*) environments="${line#environments=}" ;;
  esac
done < <(cargo xtask affected --base "$base" --format github)
# A JSON array of environment names, which are slugs: no quoting to undo.
environments="${environments//[\[\]\"]/}"
IFS=, read -r -a names <<< "$environments"
for env in "${names[@]}"; do
  echo
  if [[ ! -d "environments/$env" ]]; then
    printf '### %s\n\nRemoved by this change.\n' "$env"
    continue
  fi
  if ! git cat-file -e "$base:environments/$env/environment.toml" 2>/dev/null; then
    printf '### %s\n\nAdded by this change: %s prints all of it.\n' "$env" "\`cargo xtask show $env\`"
    continue
  fi
  # One environment against its own past: a report of changes, under its own heading.
  cargo xtask diff "$env@$base" "$env" --format markdown
done
