package engines

// MongoDB (Percona Operator for MongoDB): the PerconaServerMongoDB and its restore
// are rendered, backups are created by the Backup operation. No status subresource
// is written: no operation patches one.
// +kubebuilder:rbac:groups=psmdb.percona.com,resources=perconaservermongodbs;perconaservermongodbbackups;perconaservermongodbrestores,verbs=get;list;watch;create;patch;delete
