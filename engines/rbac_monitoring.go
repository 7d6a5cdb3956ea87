package engines

// Monitoring (the Prometheus operator, an add-on kind of every engine): each engine
// renders PodMonitors for spec.monitoring. They are applied, watched and pruned like
// the children; no status subresource is patched. Where the CRD is not installed,
// the grant is unused and harmless.
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=podmonitors,verbs=get;list;watch;create;patch;delete
