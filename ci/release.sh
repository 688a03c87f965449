# shellcheck shell=bash
# Sourced by every environments/<env>/deploy.sh: the steps between an image that CI built
# once and a service that a cluster runs. Needs a Podplane login to the cluster first
# (ci/podplane-login.sh in CI, `podplane login -f` by hand), Docker, jq and kubectl.
#
#   release_context CONTEXT REGISTRY PLATFORM   the cluster: its kubeconfig context, its
#                                               registry host, the platform its pods run
#   require_secret SERVICE KEY...               fails, naming the command that creates it,
#                                               unless each secret exists in the cluster
#   publish SERVICE VERSION IMAGE               prints the image to deploy: IMAGE (the
#                                               build, `repository:version`) resolved to
#                                               its digest, in the cluster's own registry
#
# Build once, deploy by digest: `publish` resolves the build's tag to its digest once and
# from then on names the image only by that digest: it pulls `IMAGE@DIGEST` (Docker
# verifies the content against it) and `podplane push`es it to the cluster's registry
# under `apps/SERVICE:VERSION-sha256-<hex>`, a tag that names the build's digest. The
# cluster's registry does not let CI overwrite a tag (Podplane's registry ACLs give its
# groups create, not update), so that tag can only ever hold that build. The copy in the
# cluster has a manifest digest of its own (`podplane push` imports the image from Docker
# and reports only the tag it pushed), which is why the tag, not that digest, carries it.
#
# Variables:
#   RELEASE_MANIFEST  a file `publish` appends `SERVICE VERSION DIGEST` to, for the record
#                     of what this environment runs (ci/release-record.sh record)
#   RELEASE_IMAGE_WAIT  how long to wait for an image still being built (seconds, 1800)
#   RELEASE_GATE      a file of `SERVICE VERSION DIGEST` lines, the digests another
#                     environment ran (ci/release-record.sh expect): `publish` refuses any
#                     service whose version is not there with the same digest

# `image="$(publish ...)"` runs publish in a command substitution, where bash ignores a
# failing command unless told otherwise: without this, a failed pull or push would go on
# to deploy.
shopt -s inherit_errexit

# The ConfigMap, in the namespace the services deploy to, that says which images CI
# pushed to the cluster's registry: a re-run finds its image there and pushes nothing.
readonly RELEASE_PUSHED=ci-pushed-images

release_fail() {
  echo "deploy: $*" >&2
  exit 1
}

release_context() {
  release_kube_context="${1:?release_context CONTEXT REGISTRY PLATFORM}"
  release_registry="${2:?release_context CONTEXT REGISTRY PLATFORM}"
  release_platform="${3:?release_context CONTEXT REGISTRY PLATFORM}"
  local tool
  for tool in docker jq kubectl podplane; do
    command -v "$tool" >/dev/null || release_fail "$tool is needed and not installed (ci/README.md lists what a runner needs)"
  done
}

require_secret() {
  local service="$1"
  shift
  local listed key missing=()
  listed="$(podplane secret list --for "$service" --hide-archived --context "$release_kube_context")" ||
    release_fail "could not list the secrets of $service in $release_kube_context"
  for key in "$@"; do
    if ! cut -f1 <<<"$listed" | grep -Fxq -- "$key"; then
      missing+=("$key")
    fi
  done
  if ((${#missing[@]})); then
    for key in "${missing[@]}"; do
      echo "deploy: $service reads the secret $key, which $release_kube_context does not have. Create it (the value on standard input, never in a file or the shell's history):" >&2
      echo "  podplane secret create --for $service $key --stdin --context $release_kube_context" >&2
    done
    exit 1
  fi
}

# The digest a tag of the build registry names, as `sha256:<hex>`. A version a push
# brought is built by that push's images job, which may still be running when a newer
# run deploys: wait for it, up to RELEASE_IMAGE_WAIT seconds (default 1800).
release_digest_of() {
  local digest="" waited=0 limit="${RELEASE_IMAGE_WAIT:-1800}"
  until digest="$(docker buildx imagetools inspect "$1" --format '{{json .Manifest}}' 2>/dev/null | jq -r '.digest // empty')" && [[ -n $digest ]]; do
    ((waited < limit)) ||
      release_fail "$1 is not in the build registry: the images job of the push that brought this version builds it (waited ${waited}s)"
    echo "deploy: waiting for $1, which an images job is still building" >&2
    sleep 30
    waited=$((waited + 30))
  done
  [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || release_fail "$1 has no sha256 digest"
  echo "$digest"
}

publish() {
  local service="$1" version="$2" image="$3"
  local repository="${image%:*}" digest tag key
  digest="$(release_digest_of "$image")"
  if [[ -n ${RELEASE_GATE:-} ]]; then
    local ran
    ran="$(awk -v s="$service" -v v="$version" '$1 == s && $2 == v { print $3; exit }' "$RELEASE_GATE")"
    [[ -n $ran ]] || release_fail "$service $version never ran where it is promoted from: promote what ran there (cargo xtask promote)"
    [[ $ran == "$digest" ]] || release_fail "$service $version is $digest in the build registry now, but what ran before promotion was $ran: the tag was moved, and this image was never validated"
  fi
  tag="$version-${digest/:/-}"
  key="$service.$tag"
  if [[ "$(kubectl get configmap "$RELEASE_PUSHED" --context "$release_kube_context" -o json 2>/dev/null |
    jq -r --arg key "$key" '.data[$key] // empty')" == "$digest" ]]; then
    echo "deploy: $release_registry/apps/$service:$tag is already in the cluster's registry" >&2
  else
    docker pull --quiet --platform "$release_platform" "$repository@$digest" >&2
    docker tag "$repository@$digest" "$service:$tag"
    podplane push --context "$release_kube_context" --auto-approve "$service:$tag" "apps/$service:$tag" >&2
    kubectl get configmap "$RELEASE_PUSHED" --context "$release_kube_context" >/dev/null 2>&1 ||
      kubectl create configmap "$RELEASE_PUSHED" --context "$release_kube_context" >/dev/null
    kubectl patch configmap "$RELEASE_PUSHED" --context "$release_kube_context" --type merge \
      --patch "$(jq -cn --arg key "$key" --arg digest "$digest" '{data: {($key): $digest}}')" >/dev/null
  fi
  if [[ -n ${RELEASE_MANIFEST:-} ]]; then
    echo "$service $version $digest" >>"$RELEASE_MANIFEST"
  fi
  echo "$release_registry/apps/$service:$tag"
}
