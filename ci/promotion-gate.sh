#!/usr/bin/env bash
# The promotion path's gate, before TO deploys: TO may run only what FROM had before this
# push (versions, and every value that must match), so that a change reaches production
# only as a promotion of what staging already ran. On a repository's first push nothing
# came before (BASE is git's empty tree), and TO is compared with what FROM has now,
# which this run deployed to FROM first (the deploy job of TO needs FROM's).
#
#   ci/promotion-gate.sh FROM TO BASE
set -euo pipefail
from="${1:?usage: ci/promotion-gate.sh FROM TO BASE}"
to="${2:?usage: ci/promotion-gate.sh FROM TO BASE}"
base="${3:?usage: ci/promotion-gate.sh FROM TO BASE}"
if [[ $base == "$(git hash-object -t tree /dev/null)" ]]; then
  echo "the first push: $to is compared with what $from runs now"
  base=HEAD
fi
cargo xtask diff "$from@$base" "$to"
