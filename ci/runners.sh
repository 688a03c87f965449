# shellcheck shell=bash
# Sourced by the CI environment's deploy.sh when its runners are self-hosted: installs the
# CI provider's runners into the CI cluster, with the image built from
# runners.Containerfile: GitHub's Actions Runner Controller (ARC) and the runner scale set
# the workflows' trusted jobs run on, or Buildkite's Agent Stack for Kubernetes, which
# runs the jobs of the queue the deploy pipeline's steps ask for. Run by a platform admin
# after `podplane login` to the CI cluster (the runners cannot deploy themselves the first
# time); needs Docker with buildx (for `podplane build`), Helm, jq and kubectl.
#
#   runners_deploy CONTEXT REGISTRY PLATFORM DIR CHARTS VERSION CONTROLLER_NAMESPACE
#                  NAMESPACE SECRET IMAGE TAG SCALE_SET
#   runners_buildkite_deploy CONTEXT REGISTRY PLATFORM DIR CHART VERSION NAMESPACE
#                  SECRET GIT_SECRET IMAGE TAG QUEUE
#
# CONTEXT, REGISTRY, PLATFORM: the cluster's kubeconfig context, its registry host and the
# platform of its runner pods; DIR: the environment's directory, with runners.Containerfile
# and runners.values.yaml; IMAGE, TAG: the runner image under apps/ and its tag (the first
# 32 hexadecimal digits of the Containerfile's SHA-256). For ARC: CHARTS, VERSION: where
# ARC's charts are and their version; CONTROLLER_NAMESPACE, NAMESPACE: where the
# controller and the scale set go; SECRET: the Secret with the GitHub App's credentials,
# in NAMESPACE; SCALE_SET: the scale set's name, which the workflows' `runs-on` names. For
# Buildkite: CHART, VERSION: the Agent Stack's chart and its version; NAMESPACE: where it
# goes; SECRET: the Secret with the Buildkite cluster's agent token, GIT_SECRET: the one
# with the SSH key a private repository is cloned with, both in NAMESPACE; QUEUE: the
# queue its controller serves, which the deploy pipeline's steps ask for.

# The ConfigMap, in NAMESPACE, that says which runner images are in the cluster's registry.
readonly RUNNERS_PUSHED=ci-pushed-images

runners_fail() {
  echo "deploy: $*" >&2
  exit 1
}

# CONTAINERFILE TAG: the file is the one its tag was made from, or the deploy stops.
runners_check_tag() {
  local actual
  actual="$(sha256sum "$1" | cut -c1-32)"
  [[ $actual == "$2" ]] ||
    runners_fail "$1 is not the file its tag was made from ($actual, rendered as $2): run \`cargo xtask render\`"
}

# CONTEXT REGISTRY PLATFORM CONTAINERFILE NAMESPACE IMAGE TAG: the runner image, built
# once per Containerfile (its tag names the file's content) and pushed to the cluster's
# registry as apps/IMAGE:TAG; a ConfigMap in NAMESPACE says which are there.
runners_image() {
  local context="$1" registry="$2" platform="$3" containerfile="$4" namespace="$5"
  local image="$6" tag="$7"
  local key="$image.$tag"
  if [[ "$(kubectl get configmap "$RUNNERS_PUSHED" --namespace "$namespace" --context "$context" -o json 2>/dev/null |
    jq -r --arg key "$key" '.data[$key] // empty')" == "$tag" ]]; then
    echo "deploy: $registry/apps/$image:$tag is already in the cluster's registry" >&2
    return
  fi
  # The Containerfile copies nothing from its context: an empty one is sent.
  local empty
  empty="$(mktemp -d)"
  podplane build --file "$containerfile" --platform "$platform" --tag "$image:$tag" "$empty"
  rm -r "$empty"
  podplane push --context "$context" --auto-approve "$image:$tag" "apps/$image:$tag"
  kubectl get configmap "$RUNNERS_PUSHED" --namespace "$namespace" --context "$context" >/dev/null 2>&1 ||
    kubectl create configmap "$RUNNERS_PUSHED" --namespace "$namespace" --context "$context" >/dev/null
  kubectl patch configmap "$RUNNERS_PUSHED" --namespace "$namespace" --context "$context" --type merge \
    --patch "$(jq -cn --arg key "$key" --arg tag "$tag" '{data: {($key): $tag}}')" >/dev/null
}

# DIR TAG: sets the caller's `containerfile` and `values` to DIR's runner files, once the
# tools are there and the Containerfile is the one TAG was made from.
runners_files() {
  local tool
  for tool in helm jq kubectl podplane sha256sum; do
    command -v "$tool" >/dev/null || runners_fail "$tool is needed and not installed"
  done
  containerfile="$(cd "$1" && pwd)/runners.Containerfile"
  values="$1/runners.values.yaml"
  runners_check_tag "$containerfile" "$2"
}

runners_deploy() {
  (($# == 12)) || runners_fail "runners_deploy takes 12 arguments (ci/runners.sh says which), not $#"
  local context="$1" registry="$2" platform="$3" dir="$4" charts="$5" version="$6"
  local controller_namespace="$7" namespace="$8" secret="$9" image="${10}" tag="${11}"
  local scale_set="${12}"
  local containerfile values
  runners_files "$dir" "$tag"

  if ! kubectl get secret "$secret" --namespace "$namespace" --context "$context" >/dev/null 2>&1; then
    cat >&2 <<MISSING
deploy: the runners register with GitHub as a GitHub App, whose credentials are the Secret
$secret in the namespace $namespace of $context; it does not exist. Create it from the
App's id, its installation's id and its private key (ci/README.md, "Runners"):
  kubectl create namespace $namespace --context $context
  kubectl create secret generic $secret --namespace $namespace --context $context \\
    --from-literal=github_app_id=APP_ID \\
    --from-literal=github_app_installation_id=INSTALLATION_ID \\
    --from-file=github_app_private_key=PRIVATE_KEY.pem
MISSING
    exit 1
  fi

  runners_image "$context" "$registry" "$platform" "$containerfile" "$namespace" "$image" "$tag"

  helm upgrade --install arc "$charts/gha-runner-scale-set-controller" --version "$version" \
    --namespace "$controller_namespace" --create-namespace --kube-context "$context" --wait
  helm upgrade --install "$scale_set" "$charts/gha-runner-scale-set" --version "$version" \
    --namespace "$namespace" --create-namespace --kube-context "$context" --values "$values" --wait
  echo "deploy: the runner scale set $scale_set runs $registry/apps/$image:$tag in $context" >&2
}

runners_buildkite_deploy() {
  (($# == 12)) || runners_fail "runners_buildkite_deploy takes 12 arguments (ci/runners.sh says which), not $#"
  local context="$1" registry="$2" platform="$3" dir="$4" chart="$5" version="$6"
  local namespace="$7" secret="$8" git_secret="$9" image="${10}" tag="${11}" queue="${12}"
  local containerfile values
  runners_files "$dir" "$tag"

  if ! kubectl get secret "$secret" --namespace "$namespace" --context "$context" >/dev/null 2>&1; then
    cat >&2 <<MISSING
deploy: the agents take the jobs of the queue $queue from Buildkite with the agent
token of the Buildkite cluster that holds it: the Secret $secret in the namespace
$namespace of $context, which does not exist. In Buildkite, make $queue a self-hosted
queue of that cluster and a token for the cluster; then (ci/README.md, "Buildkite"):
  kubectl create namespace $namespace --context $context
  kubectl create secret generic $secret --namespace $namespace --context $context \\
    --from-literal=BUILDKITE_AGENT_TOKEN=AGENT_TOKEN
MISSING
    exit 1
  fi
  if ! kubectl get secret "$git_secret" --namespace "$namespace" --context "$context" >/dev/null 2>&1; then
    cat >&2 <<NOKEY
deploy: there is no Secret $git_secret in $namespace: the agents clone the repository
without a key, which only a public repository allows. For a private one, give them a
read-only deploy key:
  kubectl create secret generic $git_secret --namespace $namespace --context $context \\
    --from-file=SSH_PRIVATE_ED25519_KEY=DEPLOY_KEY
NOKEY
  fi

  runners_image "$context" "$registry" "$platform" "$containerfile" "$namespace" "$image" "$tag"

  helm upgrade --install agent-stack-k8s "$chart" --version "$version" \
    --namespace "$namespace" --create-namespace --kube-context "$context" --values "$values" --wait
  echo "deploy: Buildkite's agents of the queue $queue run $registry/apps/$image:$tag in $context" >&2
}
