// Package config holds the kustomize manifests that install the operator. It has no
// code; its tests check the manifests as users apply them (the operator's Pod meets
// the Pod Security "restricted" profile).
package config
