{{- define "perimeter-guard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "perimeter-guard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "perimeter-guard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "perimeter-guard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "perimeter-guard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "perimeter-guard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: perimeter-guard
{{- end }}

{{- define "perimeter-guard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "perimeter-guard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret with tls.crt and tls.key the pod serves with. */}}
{{- define "perimeter-guard.tlsSecretName" -}}
{{- if eq .Values.certificates.mode "secret" }}
{{- required "certificates.secret.name is required when certificates.mode is secret" .Values.certificates.secret.name }}
{{- else }}
{{- printf "%s-tls" (include "perimeter-guard.fullname" .) }}
{{- end }}
{{- end }}

{{/* Namespaces never checked: the release's, kube-system, and the configured ones. */}}
{{- define "perimeter-guard.exemptNamespaces" -}}
{{- $list := list .Release.Namespace "kube-system" }}
{{- range .Values.exemptions.namespaces }}
{{- $list = append $list . }}
{{- end }}
{{- $list | uniq | toJson }}
{{- end }}

{{- define "perimeter-guard.requestTimeout" -}}
{{- if .Values.serve.requestTimeout }}
{{- .Values.serve.requestTimeout }}
{{- else }}
{{- printf "%ds" (max 1 (sub (int .Values.webhook.timeoutSeconds) 1)) }}
{{- end }}
{{- end }}
