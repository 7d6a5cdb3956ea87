package controller

// The outcome metrics, for the tests of the controller_test package.
var (
	OpsTotal    = opsTotal
	OpsDuration = opsDuration
)
