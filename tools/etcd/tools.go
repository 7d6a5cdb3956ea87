//go:build tools

// Package etcd pins the etcd server built by `make k8s-bin`.
package etcd

import _ "go.etcd.io/etcd/server/v3"
