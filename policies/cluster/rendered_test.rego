package dbaas.cluster_test

import data.dbaas.cluster

_rendered(objects) := vs if {
	vs := cluster.violation with input as object.union(_input_in({}, {}), {"rendered": objects})
}

test_rendered_objects_stay_in_the_namespace if {
	_rendered([
		{"kind": "Cluster", "metadata": {"name": "orders", "namespace": "shop"}},
		{"kind": "Pooler", "metadata": {"name": "orders-rw", "namespace": "kube-system"}},
	]) == {_v(
		"rendered[Pooler/orders-rw]", "RenderedOutsideNamespace",
		"Pooler orders-rw would be created in namespace kube-system; an engine may only create objects in the cluster's namespace shop",
	)}
}

test_rendered_objects_without_namespace_pass if {
	count(_rendered([{"kind": "Cluster", "metadata": {"name": "orders"}}])) == 0
}
