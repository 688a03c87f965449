#!/usr/bin/env bash
# Builds one service's image from the Containerfile beside its Cargo.toml, with the
# workspace as the build context, and pushes it as TAG: the image repository the crate
# declares, tagged with the crate's version. Never overwrites a tag that exists: a tag
# names the image staging validated and production is promoted to. The `images` job runs
# it once per service that `cargo xtask affected` lists, with these variables:
#
#   TAG        ghcr.io/example/hello:0.4.0
#   MANIFEST   crates/hello/Cargo.toml
#   PLATFORMS  linux/arm64 (comma-separated: the architectures of the clusters that run it)
#
# Registry credentials come from the job, never from a stored key: ghcr.io takes the
# job's GITHUB_TOKEN; Amazon ECR takes the role IMAGE_PUSH_ROLE_ARN, assumed with the
# job's OIDC token.
set -euo pipefail
: "${TAG:?the image and tag to push}" "${MANIFEST:?the Cargo.toml of the service crate}" "${PLATFORMS:?the platforms to build for}"
registry="${TAG%%/*}"
containerfile="$(dirname "$MANIFEST")/Containerfile"
if [[ ! -f $containerfile ]]; then
  echo "ci/build-image.sh: $containerfile not found: each service crate builds its image from a Containerfile beside its Cargo.toml" >&2
  exit 1
fi

case "$registry" in
  ghcr.io)
    : "${GITHUB_TOKEN:?ghcr.io takes the token of the job: pass GITHUB_TOKEN, with permissions: packages: write}"
    docker login ghcr.io --username "${GITHUB_ACTOR:-github-actions}" --password-stdin <<< "$GITHUB_TOKEN"
    ;;
  *.dkr.ecr.*.amazonaws.com)
    : "${IMAGE_PUSH_ROLE_ARN:?ECR takes a role assumed with the OIDC token of the job: set the repository variable IMAGE_PUSH_ROLE_ARN}"
    region="$(cut -d. -f4 <<< "$registry")"
    web_identity="$(curl --fail --silent --show-error \
      -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
      "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sts.amazonaws.com" |
      sed -n 's/.*"value" *: *"\([^"]*\)".*/\1/p')"
    read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN < <(
      aws sts assume-role-with-web-identity \
        --role-arn "$IMAGE_PUSH_ROLE_ARN" \
        --role-session-name "github-${GITHUB_RUN_ID:-local}" \
        --web-identity-token "$web_identity" \
        --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' \
        --output text)
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
    aws ecr get-login-password --region "$region" |
      docker login "$registry" --username AWS --password-stdin
    ;;
  *)
    echo "ci/build-image.sh: no login for the registry $registry: add one here, with credentials from OIDC federation rather than a stored key" >&2
    exit 1
    ;;
esac

if docker buildx imagetools inspect "$TAG" >/dev/null 2>&1; then
  echo "ci/build-image.sh: $TAG exists and is never overwritten: give the service a new version in $MANIFEST (check's rule service-version-bumped says so on the pull request)" >&2
  exit 1
fi

# Architectures other than the runner's are built under QEMU emulation.
native="linux/$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')"
if [[ $PLATFORMS != "$native" ]] && ! ls /proc/sys/fs/binfmt_misc/qemu-* >/dev/null 2>&1; then
  sudo apt-get update -qq
  sudo apt-get install -y -qq qemu-user-static binfmt-support
fi
builder="build-$$"
docker buildx create --name "$builder" --driver docker-container >/dev/null
trap 'docker buildx rm "$builder" >/dev/null 2>&1 || true' EXIT
docker buildx build --builder "$builder" \
  --platform "$PLATFORMS" \
  --file "$containerfile" \
  --tag "$TAG" \
  --push \
  .
