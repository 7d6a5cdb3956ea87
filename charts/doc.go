// Package charts holds the operator's Helm chart (dbaas-operator/). It has no code;
// its tests render the chart with bin/helm (`make helm`) and check what users would
// install: every object is accepted by a real API server (server-side apply,
// dry-run), the operator's RBAC is config/rbac's, the CRDs outlive `helm uninstall`,
// and the operator's Pod meets the Pod Security "restricted" profile.
package charts
