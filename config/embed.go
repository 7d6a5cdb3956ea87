package config

import "embed"

// CRDs holds our CustomResourceDefinitions (crd/bases/*.yaml), as `make manifests`
// generates them: `dbaasctl doctor` checks that a cluster serves each of their
// versions.
//
//go:embed crd/bases/*.yaml
var CRDs embed.FS

// Webhooks is the webhook configurations that `make manifests` generates
// (webhook/manifests.yaml): `dbaasctl doctor` checks that a cluster has each of
// their webhooks, by name.
//
//go:embed webhook/manifests.yaml
var Webhooks []byte
