#!/usr/bin/env bash
# What an environment runs, recorded where later jobs can read it: a GitHub deployment of
# the repository (task `deploy:podplane`, in the environment's name) whose payload lists
# each service's version and image digest, and the SHA-256 of the deploy.sh that ran,
# marked successful once the deploy is. The
# production gate reads those records: production runs only digests that staging ran.
#
#   ci/release-record.sh record ENV MANIFEST   after ENV's deploy succeeded: MANIFEST holds
#                                              `SERVICE VERSION DIGEST` lines (deploy.sh's)
#   ci/release-record.sh expect ENV            prints what ENV's successful deploys ran,
#                                              newest first, as `SERVICE VERSION DIGEST`
#   ci/release-record.sh behind ENV...         prints, as a JSON array, each ENV whose
#                                              deploy.sh is not the one its last successful
#                                              deploy ran: a deploy that was cancelled,
#                                              skipped or failed, to catch up on
#
# Runs in GitHub Actions: GH_TOKEN is the job's token (permissions: deployments: write to
# record, read to expect), GITHUB_REPOSITORY and GITHUB_SHA are set by Actions.
set -euo pipefail
readonly task="deploy:podplane"
: "${GH_TOKEN:?the token of the job, with permissions: deployments: write to record, read to expect}"
: "${GITHUB_REPOSITORY:?set by GitHub Actions}"
api="repos/$GITHUB_REPOSITORY/deployments"

case "${1:-}" in
  record)
    env="${2:?usage: ci/release-record.sh record ENV MANIFEST}"
    manifest="${3:?usage: ci/release-record.sh record ENV MANIFEST}"
    : "${GITHUB_SHA:?set by GitHub Actions}"
    if [[ ! -s $manifest ]]; then
      echo "ci/release-record.sh: $env deployed no service: nothing to record"
      exit 0
    fi
    script="$(sha256sum "environments/$env/deploy.sh" | cut -d' ' -f1)"
    request="$(jq -R -s --arg ref "$GITHUB_SHA" --arg env "$env" --arg task "$task" --arg script "$script" '
      split("\n") | map(select(length > 0) | split(" "))
      | map({key: .[0], value: {version: .[1], digest: .[2]}}) | from_entries
      | {ref: $ref, environment: $env, task: $task, auto_merge: false, required_contexts: [],
         description: "the images CI deployed", payload: {services: ., script: $script}}' "$manifest")"
    id="$(gh api --method POST "$api" --input - --jq .id <<<"$request")"
    gh api --method POST "$api/$id/statuses" -f state=success >/dev/null
    echo "ci/release-record.sh: recorded what $env runs as deployment $id"
    ;;
  expect)
    env="${2:?usage: ci/release-record.sh expect ENV}"
    # Newest first; only deploys that succeeded count.
    found=0
    while read -r id; do
      state="$(gh api "$api/$id/statuses?per_page=1" --jq '.[0].state // ""')"
      [[ $state == success ]] || continue
      gh api "$api/$id" --jq '.payload.services // {} | to_entries[] | "\(.key) \(.value.version) \(.value.digest)"'
      found=1
    done < <(gh api "$api?environment=$env&task=$task&per_page=100" --jq '.[].id')
    if ((!found)); then
      echo "ci/release-record.sh: $env has no successful deploy on record: deploy it before promoting from it" >&2
      exit 1
    fi
    ;;
  behind)
    shift
    behind=()
    for env in "$@"; do
      script="$(sha256sum "environments/$env/deploy.sh" | cut -d' ' -f1)"
      last=""
      while read -r id; do
        state="$(gh api "$api/$id/statuses?per_page=1" --jq '.[0].state // ""')"
        if [[ $state == success ]]; then
          last="$(gh api "$api/$id" --jq '.payload.script // ""')"
          break
        fi
      done < <(gh api "$api?environment=$env&task=$task&per_page=100" --jq '.[].id')
      if [[ $script != "$last" ]]; then
        behind+=("$env")
      fi
    done
    jq -cn '$ARGS.positional' --args "${behind[@]}"
    ;;
  *)
    echo "usage: ci/release-record.sh record ENV MANIFEST | expect ENV | behind ENV..." >&2
    exit 2
    ;;
esac
