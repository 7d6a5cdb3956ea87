package v1alpha1

// Reasons of a BackupStorage's Ready condition.
const (
	// CredentialsFoundReason: the credentials Secret exists with the keys the type needs.
	CredentialsFoundReason = "CredentialsFound"
	// WorkloadIdentityReason: the pods' identity gives the credentials; nothing to check.
	WorkloadIdentityReason = "WorkloadIdentity"
	// SecretNotFoundReason: credentialsSecretName names no Secret in the namespace.
	SecretNotFoundReason = "SecretNotFound"
	// SecretKeyMissingReason: the Secret lacks a key the type needs.
	SecretKeyMissingReason = "SecretKeyMissing"
)

// CredentialsKeys are the keys a BackupStorage's credentials Secret must hold, by
// type. Engines read the same keys when they hand the Secret to a child operator.
var CredentialsKeys = map[BackupStorageType][]string{
	BackupStorageS3:    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
	BackupStorageGCS:   {"GOOGLE_APPLICATION_CREDENTIALS"},
	BackupStorageAzure: {"AZURE_STORAGE_ACCOUNT_NAME", "AZURE_STORAGE_ACCOUNT_KEY"},
}
