package engines

// Kafka (Strimzi): the engine renders the Kafka, its KafkaNodePools, the application's
// KafkaUser, the ConfigMap of the JMX exporter rules, the connection Secret and the
// user's password Secret, which RotateCredentials patches (secrets: see rbac.go);
// Restart annotates the nodes' pods with strimzi.io/manual-rolling-update and reads
// them to follow the roll. No status subresource is patched.
// +kubebuilder:rbac:groups=kafka.strimzi.io,resources=kafkas;kafkanodepools;kafkausers,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;patch
