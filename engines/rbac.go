package engines

// RBAC for the child kinds the shipped engines render, generated into
// config/rbac/role.yaml by `make manifests`. An engine added from a folder needs the
// same grants for its kinds (see engines/README.md).

// Every engine renders its binding Secret (and Percona's engines the Secret their
// operator generates the application user's password into), copying values into it
// from Secrets the child operators write, read through the same grant.
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;patch;delete

// PostgreSQL (CloudNativePG): clusters/status is patched for a switchover, as
// `kubectl cnpg promote` does; pods and PVCs are deleted to rebuild an instance.
// +kubebuilder:rbac:groups=postgresql.cnpg.io,resources=clusters;poolers;scheduledbackups;backups,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=postgresql.cnpg.io,resources=clusters/status,verbs=patch
// +kubebuilder:rbac:groups="",resources=pods;persistentvolumeclaims,verbs=get;delete
