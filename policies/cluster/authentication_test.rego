package dbaas.cluster_test

import data.dbaas.cluster

# _kafka_listeners are the listeners as the kafka engine renders them.
_kafka_listeners := [
	{"name": "plain", "port": 9092, "type": "internal", "tls": false, "authentication": {"type": "scram-sha-512"}},
	{"name": "tls", "port": 9093, "type": "internal", "tls": true, "authentication": {"type": "scram-sha-512"}},
]

# _rendered_kafka is a Strimzi Kafka named events with spec.kafka patched.
_rendered_kafka(patch) := {
	"apiVersion": "kafka.strimzi.io/v1beta2",
	"kind": "Kafka",
	"metadata": {"name": "events"},
	"spec": {"kafka": object.union({"listeners": _kafka_listeners, "authorization": {"type": "simple"}}, patch)},
}

# _kafka_rendering evaluates the gate on a kafka cluster that rendered objects.
_kafka_rendering(engine, objects) := vs if {
	vs := cluster.violation with input as object.union(
		_input_in({"spec": {"engine": engine, "version": "3.9.0", "resources": {}}}, {}),
		{"rendered": objects},
	)
}

test_kafka_as_the_engine_renders_it_passes if {
	count(_kafka_rendering("kafka", [_rendered_kafka({})])) == 0
}

test_kafka_listeners_must_authenticate if {
	open := array.concat(_kafka_listeners, [{"name": "external", "port": 9094, "type": "loadbalancer", "tls": true}])
	_kafka_rendering("kafka", [_rendered_kafka({"listeners": open})]) == {_v(
		"rendered[Kafka/events].spec.kafka.listeners[external].authentication", "AuthenticationRequired",
		"listener external of Kafka events takes clients without credentials: every listener must authenticate its clients with scram-sha-512 or tls",
	)}
}

test_kafka_listeners_authenticate_with_an_allowed_type if {
	custom := [
		_kafka_listeners[0],
		object.union(_kafka_listeners[1], {"authentication": {"type": "tls"}}),
		{"name": "external", "port": 9094, "type": "loadbalancer", "tls": true, "authentication": {"type": "custom", "sasl": false}},
	]
	_kafka_rendering("kafka", [_rendered_kafka({"listeners": custom})]) == {_v(
		"rendered[Kafka/events].spec.kafka.listeners[external].authentication", "AuthenticationRequired",
		"listener external of Kafka events authenticates with custom: every listener must authenticate its clients with scram-sha-512 or tls",
	)}
}

test_kafka_must_authorize if {
	unauthorized := object.remove(_rendered_kafka({}), ["spec"])
	k := object.union(unauthorized, {"spec": {"kafka": {"listeners": _kafka_listeners}}})
	_kafka_rendering("kafka", [k]) == {_v(
		"rendered[Kafka/events].spec.kafka.authorization", "AuthorizationRequired",
		"Kafka events lets every client do anything: the brokers must authorize every request with simple authorization",
	)}
	_kafka_rendering("kafka", [_rendered_kafka({"authorization": {"type": "opa", "url": "http://opa"}})]) == {_v(
		"rendered[Kafka/events].spec.kafka.authorization", "AuthorizationRequired",
		"Kafka events authorizes with opa: the brokers must authorize every request with simple authorization",
	)}
}

test_authentication_is_checked_where_the_engine_data_asks if {
	# mongodb's data asks nothing of a rendered Kafka; an object of another group is no
	# Strimzi Kafka.
	open := _rendered_kafka({"listeners": [{"name": "plain", "port": 9092, "type": "internal", "tls": false}]})
	count(_kafka_rendering("mongodb", [open])) == 0
	count(_kafka_rendering("kafka", [object.union(open, {"apiVersion": "example.com/v1"})])) == 0
}
