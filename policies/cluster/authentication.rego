package dbaas.cluster

import data.dbaas.lib

# _authentication is what the engine's data asks of its rendered Strimzi Kafka
# ({listeners, authorization}: the types allowed); null for engines without it.
_authentication := object.get(data.dbaas.engines, [_engine, "authentication"], null)

# _rendered_kafkas are the rendered Strimzi Kafkas.
_rendered_kafkas := [o |
	some o in object.get(input, "rendered", [])
	o.kind == "Kafka"
	startswith(object.get(o, "apiVersion", ""), "kafka.strimzi.io/")
]

# METADATA
# title: Kafka listeners authenticate
# description: >-
#   Every listener of a rendered Strimzi Kafka authenticates its clients with one of the
#   types the engine's data allows (authentication.listeners): no engine version, an
#   --engines-dir override included, opens a listener to clients without credentials.
violation contains lib.violation(field, "AuthenticationRequired", msg) if {
	allowed := _authentication.listeners
	some k in _rendered_kafkas
	some l in object.get(k, ["spec", "kafka", "listeners"], [])
	t := object.get(l, ["authentication", "type"], "")
	not t in allowed
	name := object.get(l, "name", "")
	field := sprintf("rendered[Kafka/%s].spec.kafka.listeners[%s].authentication", [k.metadata.name, name])
	msg := sprintf("listener %s of Kafka %s %s: every listener must authenticate its clients with %s", [
		name, k.metadata.name, _authenticates(t), concat(" or ", allowed),
	])
}

_authenticates("") := "takes clients without credentials"

_authenticates(t) := sprintf("authenticates with %s", [t]) if t != ""

# METADATA
# title: Kafka authorizes
# description: >-
#   A rendered Strimzi Kafka authorizes every request with one of the authorization types
#   the engine's data allows (authentication.authorization): without it any client that
#   connects may do anything.
violation contains lib.violation(field, "AuthorizationRequired", msg) if {
	allowed := _authentication.authorization
	some k in _rendered_kafkas
	t := object.get(k, ["spec", "kafka", "authorization", "type"], "")
	not t in allowed
	field := sprintf("rendered[Kafka/%s].spec.kafka.authorization", [k.metadata.name])
	msg := sprintf("Kafka %s %s: the brokers must authorize every request with %s authorization", [
		k.metadata.name, _authorizes(t), concat(" or ", allowed),
	])
}

_authorizes("") := "lets every client do anything"

_authorizes(t) := sprintf("authorizes with %s", [t]) if t != ""
