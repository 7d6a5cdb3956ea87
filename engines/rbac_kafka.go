package engines

// Kafka (Strimzi): the engine renders the Kafka, its KafkaNodePools, the application's
// KafkaUser, the ConfigMap of the JMX exporter rules and the connection Secret (whose
// credentials it copies from the Secrets Strimzi writes, read through the same
// grant); Restart annotates the nodes' pods with strimzi.io/manual-rolling-update and
// reads them to follow the roll. No status subresource is patched.
// +kubebuilder:rbac:groups=kafka.strimzi.io,resources=kafkas;kafkanodepools;kafkausers,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=configmaps;secrets,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;patch
