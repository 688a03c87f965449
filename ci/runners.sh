# shellcheck shell=bash
# Sourced by the CI environment's deploy.sh when its runners are self-hosted: installs
# GitHub's Actions Runner Controller (ARC) into the CI cluster, and the runner scale set
# the workflows' trusted jobs run on, with the runner image built from
# runners.Containerfile. Run by a platform admin after `podplane login` to the CI cluster
# (the runners cannot deploy themselves the first time); needs Docker with buildx (for
# `podplane build`), Helm, jq and kubectl.
#
#   runners_deploy CONTEXT REGISTRY PLATFORM DIR CHARTS VERSION CONTROLLER_NAMESPACE
#                  NAMESPACE SECRET IMAGE TAG SCALE_SET
#
# CONTEXT, REGISTRY, PLATFORM: the cluster's kubeconfig context, its registry host and the
# platform of its runner pods; DIR: the environment's directory, with runners.Containerfile
# and runners.values.yaml; CHARTS, VERSION: where ARC's charts are and their version;
# CONTROLLER_NAMESPACE, NAMESPACE: where the controller and the scale set go; SECRET: the
# Secret with the GitHub App's credentials, in NAMESPACE; IMAGE, TAG: the runner image
# under apps/ and its tag (the first 32 hexadecimal digits of the Containerfile's
# SHA-256); SCALE_SET: the scale set's name, which the workflows' `runs-on` names.

# The ConfigMap, in NAMESPACE, that says which runner images are in the cluster's registry.
readonly RUNNERS_PUSHED=ci-pushed-images

runners_fail() {
  echo "deploy: $*" >&2
  exit 1
}

runners_deploy() {
  (($# == 12)) || runners_fail "runners_deploy takes 12 arguments (ci/runners.sh says which), not $#"
  local context="$1" registry="$2" platform="$3" dir="$4" charts="$5" version="$6"
  local controller_namespace="$7" namespace="$8" secret="$9" image="${10}" tag="${11}"
  local scale_set="${12}"
  local tool
  for tool in helm jq kubectl podplane sha256sum; do
    command -v "$tool" >/dev/null || runners_fail "$tool is needed and not installed"
  done
  local containerfile values actual
  containerfile="$(cd "$dir" && pwd)/runners.Containerfile"
  values="$dir/runners.values.yaml"
  actual="$(sha256sum "$containerfile" | cut -c1-32)"
  [[ $actual == "$tag" ]] ||
    runners_fail "$containerfile is not the file its tag was made from ($actual, rendered as $tag): run \`cargo xtask render\`"

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

  # The runner image, built once per Containerfile: its tag names the file's content.
  local key="$image.$tag"
  if [[ "$(kubectl get configmap "$RUNNERS_PUSHED" --namespace "$namespace" --context "$context" -o json 2>/dev/null |
    jq -r --arg key "$key" '.data[$key] // empty')" == "$tag" ]]; then
    echo "deploy: $registry/apps/$image:$tag is already in the cluster's registry" >&2
  else
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
  fi

  helm upgrade --install arc "$charts/gha-runner-scale-set-controller" --version "$version" \
    --namespace "$controller_namespace" --create-namespace --kube-context "$context" --wait
  helm upgrade --install "$scale_set" "$charts/gha-runner-scale-set" --version "$version" \
    --namespace "$namespace" --create-namespace --kube-context "$context" --values "$values" --wait
  echo "deploy: the runner scale set $scale_set runs $registry/apps/$image:$tag in $context" >&2
}
