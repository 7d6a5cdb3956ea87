package dbaas.cluster

import data.dbaas.lib

# METADATA
# title: Rendered objects stay in the namespace
# description: >-
#   An engine (CUE, editable without a rebuild) may only create objects in the cluster's
#   own namespace; an object without a namespace gets the cluster's at apply time.
violation contains lib.violation(sprintf("rendered[%s/%s]", [o.kind, o.metadata.name]), "RenderedOutsideNamespace", msg) if {
	some o in object.get(input, "rendered", [])
	ns := object.get(o.metadata, "namespace", "")
	not ns in {"", _namespace}
	msg := sprintf(
		"%s %s would be created in namespace %s; an engine may only create objects in the cluster's namespace %s",
		[o.kind, o.metadata.name, ns, _namespace],
	)
}
