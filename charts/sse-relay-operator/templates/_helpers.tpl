{{/* The operator's name: its objects' names and its pods' app.kubernetes.io/name label. */}}
{{- define "sse-relay-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels Helm's own tooling and people use to find what this release installed. */}}
{{- define "sse-relay-operator.releaseLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "sse-relay-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sse-relay-operator.fullname" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* An image reference: by digest when one is given, else by tag (the chart's appVersion when empty). */}}
{{- define "sse-relay-operator.imageRef" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (.image.tag | default .appVersion) -}}
{{- end -}}
{{- end -}}

{{- define "sse-relay-operator.image" -}}
{{- include "sse-relay-operator.imageRef" (dict "image" .Values.image "appVersion" .Chart.AppVersion) -}}
{{- end -}}

{{- define "sse-relay-operator.relayImage" -}}
{{- include "sse-relay-operator.imageRef" (dict "image" .Values.relayImage "appVersion" .Chart.AppVersion) -}}
{{- end -}}

{{/*
An object of the chart's files/ (kept identical to config/ by a test) with this release's
namespace and labels added.
*/}}
{{- define "sse-relay-operator.fromFile" -}}
{{- $object := .root.Files.Get .file | fromYaml -}}
{{- if .namespaced }}{{ $_ := set $object.metadata "namespace" .root.Release.Namespace }}{{ end -}}
{{- $labels := merge (dict) (.labels | default dict) ($object.metadata.labels | default dict) (include "sse-relay-operator.releaseLabels" .root | fromYaml) -}}
{{- $_ := set $object.metadata "labels" $labels -}}
{{- toYaml $object -}}
{{- end -}}
