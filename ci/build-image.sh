#!/usr/bin/env bash
# Builds one service's image from the Containerfile beside its Cargo.toml, with the
# workspace as the build context, and pushes it as TAG: the image repository the crate
# declares, tagged with the crate's version. The `images` job runs
# it once per service that `cargo xtask affected` lists, with these variables:
#
#   TAG        ghcr.io/example/hello:0.4.0
#   MANIFEST   crates/hello/Cargo.toml
#   PLATFORMS  linux/arm64 (comma-separated: the architectures of the clusters that run it)
#
# Registry credentials come from the job, never from a stored key (ci/registry-login.sh).
# The digest it pushed goes to the job summary; the deploy jobs resolve the tag to it
# once and deploy by it (ci/release.sh).
set -euo pipefail
: "${TAG:?the image and tag to push}" "${MANIFEST:?the Cargo.toml of the service crate}" "${PLATFORMS:?the platforms to build for}"
registry="${TAG%%/*}"
containerfile="$(dirname "$MANIFEST")/Containerfile"
if [[ ! -f $containerfile ]]; then
  echo "ci/build-image.sh: $containerfile not found: each service crate builds its image from a Containerfile beside its Cargo.toml" >&2
  exit 1
fi

ci/registry-login.sh "$registry"

# Build once: a version's image is built by the first push that brings it, and never
# again. A re-run finds it and builds nothing; a tag is never overwritten, since it names
# the image staging validated and production is promoted to.
if existing="$(docker buildx imagetools inspect "$TAG" --format '{{json .Manifest}}' 2>/dev/null)"; then
  digest="$(jq -r .digest <<<"$existing")"
  echo "::notice::$TAG exists ($digest) and is never rebuilt; a changed service needs a new version in $MANIFEST (check's rule service-version-bumped says so on the pull request)"
  echo "$TAG is $digest (built before)" >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
  exit 0
fi

# Every platform is built on the runner's own: the Containerfile `new-service` writes
# cross-compiles in a stage that runs on the build platform (`FROM --platform=$BUILDPLATFORM`)
# and only copies the binary into the target platform's image, so nothing is emulated. A
# Containerfile that runs commands in a stage of another platform needs QEMU's binfmt
# handlers on the host, which this script does not install.
builder="build-$$"
docker buildx create --name "$builder" --driver docker-container >/dev/null
trap 'docker buildx rm "$builder" >/dev/null 2>&1 || true' EXIT
metadata="$(mktemp)"
docker buildx build --builder "$builder" \
  --platform "$PLATFORMS" \
  --file "$containerfile" \
  --tag "$TAG" \
  --metadata-file "$metadata" \
  --push \
  .
digest="$(jq -r '."containerimage.digest"' "$metadata")"
echo "$TAG is $digest" >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
