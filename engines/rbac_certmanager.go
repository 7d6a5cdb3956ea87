package engines

// cert-manager (an add-on kind of the postgresql engine): the engine renders a
// Certificate for spec.tls.issuerRef. It is applied, watched and pruned like the
// children; cert-manager writes the Secret, which the operator only reads (the
// Secret grant is the children's). Where the CRD is not installed, the grant is
// unused and harmless.
// +kubebuilder:rbac:groups=cert-manager.io,resources=certificates,verbs=get;list;watch;create;patch;delete
