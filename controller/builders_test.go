package controller_test

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// clusterOption changes a DatabaseCluster built by newCluster.
type clusterOption func(*dbaasv1.DatabaseCluster)

// newCluster builds a minimal PostgreSQL DatabaseCluster.
func newCluster(ns, name string, opts ...clusterOption) *dbaasv1.DatabaseCluster {
	c := &dbaasv1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: dbaasv1.DatabaseClusterSpec{
			Engine:  "postgresql",
			Storage: dbaasv1.Storage{Size: resource.MustParse("1Gi")},
		},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// withProxy enables the proxy.
func withProxy() clusterOption {
	return func(c *dbaasv1.DatabaseCluster) { c.Spec.Proxy = &dbaasv1.Proxy{Enabled: true} }
}

// withBackup enables scheduled backups to a bucket with the given credentials Secret.
func withBackup(secret string) clusterOption {
	return func(c *dbaasv1.DatabaseCluster) {
		c.Spec.Backup = &dbaasv1.Backup{Enabled: true, Storage: &dbaasv1.InlineBackupStorage{
			S3: dbaasv1.S3Storage{Bucket: "backups", CredentialsSecret: secret},
		}}
	}
}
