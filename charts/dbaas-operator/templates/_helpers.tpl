{{/*
Names: the operator finds its webhook configurations, its webhook Service and its
certificate Secret by these fixed names (internal/operator), and its RBAC names them
(config/rbac), so the chart does not derive them from the release name.
*/}}

{{/* Labels of every object of the chart. */}}
{{- define "dbaas-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: dbaas-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dbaas-operator
{{- end }}

{{/* Selector of the operator's Pods, as in config/manager (the Services select them too). */}}
{{- define "dbaas-operator.selectorLabels" -}}
app.kubernetes.io/name: dbaas-operator
app.kubernetes.io/component: manager
{{- end }}

{{/* The image reference: the digest when one is given, else the tag (default appVersion). */}}
{{- define "dbaas-operator.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}

{{/* The Secret that holds the serving certificate cert-manager issues. */}}
{{- define "dbaas-operator.certSecret" -}}
dbaas-operator-serving-cert
{{- end }}

{{/* Annotations of the webhook configurations: cert-manager's CA injector, when it issues the certificate. */}}
{{- define "dbaas-operator.webhookAnnotations" -}}
{{- if .Values.certManager.enabled -}}
annotations:
  cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/dbaas-operator-serving-cert
{{- end -}}
{{- end }}

{{/* Where the overrides are mounted. */}}
{{- define "dbaas-operator.enginesDir" -}}
/etc/dbaas/engines
{{- end }}
{{- define "dbaas-operator.policiesDir" -}}
/etc/dbaas/policies
{{- end }}

{{/*
The key of a policy file in its ConfigMap: ConfigMap keys cannot hold "/", so each
path gets a key of its own (a digest of the path, then its base name) and the volume
maps the key back to the path.
*/}}
{{- define "dbaas-operator.policyKey" -}}
{{ sha256sum . | trunc 12 }}-{{ base . }}
{{- end }}

{{/* Checks of the values that the schema of values.yaml cannot express. */}}
{{- define "dbaas-operator.validate" -}}
{{- if and (gt (int .Values.replicas) 1) (not .Values.leaderElection.enabled) -}}
{{- fail "replicas > 1 needs leaderElection.enabled: two replicas would reconcile the same clusters at once" -}}
{{- end -}}
{{- range $name, $files := .Values.overrides.engines -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $name) -}}
{{- fail (printf "overrides.engines: %q is not an engine name (lower-case letters, digits and -)" $name) -}}
{{- end -}}
{{- if not $files -}}
{{- fail (printf "overrides.engines.%s has no files" $name) -}}
{{- end -}}
{{- end -}}
{{- range $path, $_ := .Values.overrides.policies -}}
{{- if or (not (regexMatch "^[-._a-zA-Z0-9]+(/[-._a-zA-Z0-9]+)*$" $path)) (has ".." (splitList "/" $path)) -}}
{{- fail (printf "overrides.policies: %q is not a path inside the policies folder" $path) -}}
{{- end -}}
{{- end -}}
{{- end }}
