// Package argocd holds the Argo CD health checks of the operator's kinds, laid out
// as in Argo CD's resource_customizations (<group>/<kind>/health.lua), and
// argocd-cm.yaml, the same scripts as a patch of the argocd-cm ConfigMap. Its tests
// run the scripts with gopher-lua, the Lua interpreter Argo CD embeds, with the
// libraries Argo CD opens.
package argocd
