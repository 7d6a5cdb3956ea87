package controller

// The outcome metrics, for the tests of the controller_test package.
var (
	OpsTotal    = opsTotal
	OpsDuration = opsDuration
)

// The password step's pure parts, for the tests of the controller_test package.
var (
	PasswordData = passwordData
	NewPassword  = newPassword
)
