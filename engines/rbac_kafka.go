package engines

// Kafka (Strimzi): the engine renders the Kafka, its KafkaNodePools and the ConfigMap
// of the JMX exporter rules; Restart annotates the nodes' pods with
// strimzi.io/manual-rolling-update and reads them to follow the roll. No status
// subresource is patched.
// +kubebuilder:rbac:groups=kafka.strimzi.io,resources=kafkas;kafkanodepools,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;patch
