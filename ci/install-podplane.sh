#!/usr/bin/env bash
# Installs the Podplane CLI at VERSION (a release tag or a commit of
# github.com/podplane/podplane, pinned in ci/pins.toml) with Go, and puts it on the PATH
# of the job's later steps.
#
#   ci/install-podplane.sh VERSION
set -euo pipefail
version="${1:?usage: ci/install-podplane.sh VERSION}"
if ! command -v go >/dev/null; then
  echo "ci/install-podplane.sh: Go is needed to install the Podplane CLI; GitHub's hosted runners have it, a self-hosted runner image must too" >&2
  exit 1
fi
GOBIN="${RUNNER_TEMP:-$(mktemp -d)}/podplane-bin"
export GOBIN
go install "github.com/podplane/podplane@$version"
if [[ -n "${GITHUB_PATH:-}" ]]; then
  echo "$GOBIN" >> "$GITHUB_PATH"
fi
"$GOBIN/podplane" --version || true
