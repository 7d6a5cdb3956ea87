package engines

// MySQL (Percona Operator for MySQL based on Percona XtraDB Cluster): the cluster
// and its restore are rendered, backups are created by the Backup operation, and
// Restart patches the cluster's spec (spec.pxc.annotations). No status subresource
// is written.
// +kubebuilder:rbac:groups=pxc.percona.com,resources=perconaxtradbclusters;perconaxtradbclusterbackups;perconaxtradbclusterrestores,verbs=get;list;watch;create;patch;delete
