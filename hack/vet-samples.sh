#!/usr/bin/env bash
# vet-samples.sh checks every config/samples/*.yaml against the CUE definition of its
# kind in schemas/api/<version>, such as #DatabaseCluster in schemas/api/v1alpha1.
#
# Samples carry no namespace, like kubectl apply input: the API server takes it from
# the request. The generated schemas require metadata.namespace, so each check adds
# a default one.
#
# Usage: hack/vet-samples.sh [sample.yaml]...   (default: config/samples/*.yaml)
# Environment: CUE, the cue binary (default: bin/cue).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cue=${CUE:-$root/bin/cue}
cd "$root"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

samples=("$@")
[[ ${#samples[@]} -gt 0 ]] || samples=(config/samples/*.yaml)

failed=0
for f in "${samples[@]}"; do
  [[ $(basename "$f") == kustomization.yaml ]] && continue
  api_version=$(sed -n 's/^apiVersion: *//p' "$f" | head -n1)
  kind=$(sed -n 's/^kind: *//p' "$f" | head -n1)
  version=${api_version##*/}
  schema_dir=schemas/api/$version
  if [[ -z $kind || ! -d $schema_dir ]]; then
    echo "FAIL $f: no kind, or no schemas for apiVersion '$api_version' in schemas/api"
    failed=1
    continue
  fi
  printf 'package %s\n\n#%s: metadata: namespace: *"default" | string\n' "$version" "$kind" >"$tmp/namespace.cue"
  if "$cue" vet -d "#$kind" "$schema_dir"/*.cue "$tmp/namespace.cue" "$f"; then
    echo "ok   $f"
  else
    echo "FAIL $f"
    failed=1
  fi
done
exit "$failed"
