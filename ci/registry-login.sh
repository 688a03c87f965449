#!/usr/bin/env bash
# Logs Docker in to the build registry REGISTRY (the host of `[images] registry`) with the
# job's own credentials where its CI provider has them, never a stored cloud key:
#   - ghcr.io: in GitHub Actions, the job's GITHUB_TOKEN (`packages: write` to push,
#     `read` to pull). GitHub gives no other CI a token for it: in Buildkite, the step
#     reads a GitHub token with the `write:packages` (or `read:packages`) scope from the
#     Buildkite secret GHCR_TOKEN, and its user from GHCR_USER (ci/README.md).
#   - Amazon ECR: the role IMAGE_PUSH_ROLE_ARN, assumed with the job's OIDC token
#     (GitHub: `id-token: write`; Buildkite: `buildkite-agent oidc request-token`).
#
#   ci/registry-login.sh REGISTRY
set -euo pipefail
registry="${1:?usage: ci/registry-login.sh REGISTRY}"
case "$registry" in
  ghcr.io)
    if [[ ${BUILDKITE:-} == true ]]; then
      user="$(buildkite-agent secret get GHCR_USER)"
      buildkite-agent secret get GHCR_TOKEN |
        docker login ghcr.io --username "$user" --password-stdin
    else
      : "${GITHUB_TOKEN:?ghcr.io takes the token of the job: pass GITHUB_TOKEN, with permissions: packages}"
      docker login ghcr.io --username "${GITHUB_ACTOR:-github-actions}" --password-stdin <<<"$GITHUB_TOKEN"
    fi
    ;;
  *.dkr.ecr.*.amazonaws.com)
    : "${IMAGE_PUSH_ROLE_ARN:?ECR takes a role assumed with the OIDC token of the job: set the repository variable IMAGE_PUSH_ROLE_ARN}"
    region="$(cut -d. -f4 <<<"$registry")"
    if [[ ${BUILDKITE:-} == true ]]; then
      web_identity="$(buildkite-agent oidc request-token --audience sts.amazonaws.com)"
      session="buildkite-${BUILDKITE_BUILD_NUMBER:-local}"
    else
      : "${ACTIONS_ID_TOKEN_REQUEST_URL:?ECR needs the OIDC token of the job: give it permissions: id-token: write}"
      web_identity="$(curl --fail --silent --show-error \
        -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
        "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sts.amazonaws.com" | jq -r .value)"
      session="github-${GITHUB_RUN_ID:-local}"
    fi
    read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN < <(
      aws sts assume-role-with-web-identity \
        --role-arn "$IMAGE_PUSH_ROLE_ARN" \
        --role-session-name "$session" \
        --web-identity-token "$web_identity" \
        --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' \
        --output text)
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
    aws ecr get-login-password --region "$region" |
      docker login "$registry" --username AWS --password-stdin
    ;;
  *)
    echo "ci/registry-login.sh: no login for the registry $registry: add one here, with credentials from OIDC federation rather than a stored key" >&2
    exit 1
    ;;
esac
