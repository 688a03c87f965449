#!/usr/bin/env bash
# Installs the tools the deploy jobs run, at the versions ci/pins.toml pins, into one
# directory that it puts on the PATH of the job's later steps:
#   - kubectl and Helm (which `podplane deploy` runs), each checked against the SHA-256
#     checksum its project publishes beside the release. That catches a corrupted or
#     truncated download; the checksum comes from the same host as the file;
#   - the Podplane CLI, with `go install`, which checks the module against Go's checksum
#     database.
#
#   ci/install-tools.sh PODPLANE KUBECTL HELM   (into TOOLS_DIR when it is set: a caller
#                                              that puts that on its own PATH)
set -euo pipefail
podplane="${1:?usage: ci/install-tools.sh PODPLANE KUBECTL HELM}"
kubectl="${2:?usage: ci/install-tools.sh PODPLANE KUBECTL HELM}"
helm="${3:?usage: ci/install-tools.sh PODPLANE KUBECTL HELM}"
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *)
    echo "ci/install-tools.sh: no kubectl or Helm release for $(uname -m)" >&2
    exit 1
    ;;
esac
if ! command -v go >/dev/null; then
  echo "ci/install-tools.sh: Go is needed to install the Podplane CLI; GitHub's hosted runners have it, a self-hosted runner image must too" >&2
  exit 1
fi
bin="${TOOLS_DIR:-${RUNNER_TEMP:-$(mktemp -d)}/tools}"
mkdir -p "$bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() {
  curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"
}
# FILE EXPECTED: the file's SHA-256 is EXPECTED, or the install stops.
verify() {
  local actual
  actual="$(sha256sum "$1" | cut -d' ' -f1)"
  if [[ $actual != "$2" ]]; then
    echo "ci/install-tools.sh: $(basename "$1") does not match its published checksum ($actual, expected $2): not installed" >&2
    exit 1
  fi
}

fetch "https://dl.k8s.io/release/$kubectl/bin/linux/$arch/kubectl" "$work/kubectl"
fetch "https://dl.k8s.io/release/$kubectl/bin/linux/$arch/kubectl.sha256" "$work/kubectl.sha256"
verify "$work/kubectl" "$(tr -d '[:space:]' <"$work/kubectl.sha256")"
install -m 0755 "$work/kubectl" "$bin/kubectl"

archive="helm-$helm-linux-$arch.tar.gz"
fetch "https://get.helm.sh/$archive" "$work/$archive"
fetch "https://get.helm.sh/$archive.sha256sum" "$work/$archive.sha256sum"
verify "$work/$archive" "$(cut -d' ' -f1 <"$work/$archive.sha256sum")"
tar -xzf "$work/$archive" -C "$work" "linux-$arch/helm"
install -m 0755 "$work/linux-$arch/helm" "$bin/helm"

GOBIN="$bin" go install "github.com/podplane/podplane@$podplane"

if [[ -n ${GITHUB_PATH:-} ]]; then
  echo "$bin" >>"$GITHUB_PATH"
fi
"$bin/kubectl" version --client
"$bin/helm" version
"$bin/podplane" version
