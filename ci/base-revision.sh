#!/usr/bin/env bash
# Prints the commit a push is compared with: BEFORE (github.event.before) when this clone
# has it, else the commit before HEAD. A branch's first push names no commit
# (all zeros), and a force-push may name one that is gone.
#
#   ci/base-revision.sh BEFORE
set -euo pipefail
before="${1:-}"
if [[ -n $before ]] && git cat-file -e "$before^{commit}" 2>/dev/null; then
  echo "$before"
else
  git rev-parse HEAD~1
fi
