#!/usr/bin/env bash
# Prints the revision a push is compared with: BEFORE (github.event.before) when this
# clone has it, else the commit before HEAD. A branch's first push names no commit (all
# zeros), and a force-push may name one that is gone. The first commit of a repository
# has none before it: then git's empty tree, against which everything is new, so that the
# first push builds and deploys all that the first commit declares.
#
#   ci/base-revision.sh BEFORE
set -euo pipefail
before="${1:-}"
if [[ -n $before ]] && git cat-file -e "$before^{commit}" 2>/dev/null; then
  echo "$before"
elif git rev-parse --verify --quiet "HEAD~1^{commit}" >/dev/null; then
  git rev-parse HEAD~1
else
  git hash-object -t tree /dev/null
fi
