package v1alpha1

// TLSMode says whether clients must use TLS.
type TLSMode string

const (
	// TLSModePreferred serves TLS to clients that ask for it and still accepts
	// plain connections, so clients configured before TLS was on keep connecting.
	TLSModePreferred TLSMode = "preferred"
	// TLSModeRequired refuses plain connections.
	TLSModeRequired TLSMode = "required"
)

// TLS is how clients and the database encrypt their traffic. TLS is on by default
// wherever the engine's child operator supports it, with certificates the child
// operator issues from its own self-signed CA; turning it off takes enabled: false,
// which the platform's policy may forbid. What an engine's child operator cannot
// do (turn TLS off, require it, use a cert-manager issuer) is refused at apply.
// +kubebuilder:validation:XValidation:rule="!has(self.enabled) || self.enabled || (!has(self.mode) && !has(self.issuerRef))",message="tls.mode and tls.issuerRef need TLS on: remove them, or remove tls.enabled: false"
type TLS struct {
	// Enabled serves TLS to clients. Default: true. false turns TLS off, on the
	// engines whose child operator can run without it.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// Mode is preferred (TLS for clients that ask, plain connections still
	// accepted) or required (plain connections refused). Default: preferred.
	// +kubebuilder:validation:Enum=preferred;required
	// +optional
	Mode TLSMode `json:"mode,omitempty"`

	// IssuerRef is the cert-manager issuer that signs the servers' certificates.
	// Default: absent, the child operator's own self-signed CA.
	// +optional
	IssuerRef *IssuerRef `json:"issuerRef,omitempty"`
}

// IssuerRef names a cert-manager issuer.
// +kubebuilder:validation:XValidation:rule="(has(self.group) && self.group != 'cert-manager.io') || !has(self.kind) || self.kind in ['Issuer', 'ClusterIssuer']",message="a cert-manager.io issuer is an Issuer or a ClusterIssuer"
type IssuerRef struct {
	// Name of the issuer.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Kind of the issuer: Issuer (in the cluster's namespace) or ClusterIssuer, or
	// the kind of an external issuer. Default: Issuer.
	// +kubebuilder:validation:Pattern=`^[A-Z][A-Za-z0-9]{0,62}$`
	// +optional
	Kind string `json:"kind,omitempty"`

	// Group of the issuer's kind. Default: cert-manager.io.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Group string `json:"group,omitempty"`
}

// TLSStatus reports how clients reach the database over TLS.
type TLSStatus struct {
	// Enabled is true when the database serves TLS to clients, false when TLS is off.
	Enabled bool `json:"enabled"`

	// Mode is preferred or required, as spec.tls.mode resolves.
	// +optional
	Mode TLSMode `json:"mode,omitempty"`

	// CASecretName is the Secret, in the cluster's namespace, whose ca.crt key holds
	// the CA certificate that clients verify the servers' certificates with.
	// +optional
	CASecretName string `json:"caSecretName,omitempty"`

	// NotAfter is when the servers' certificate expires, as cert-manager reports it
	// (spec.tls.issuerRef); absent until it is issued.
	// +optional
	NotAfter string `json:"notAfter,omitempty"`

	// RenewalTime is when cert-manager renews the servers' certificate
	// (spec.tls.issuerRef); absent until it is issued.
	// +optional
	RenewalTime string `json:"renewalTime,omitempty"`
}
