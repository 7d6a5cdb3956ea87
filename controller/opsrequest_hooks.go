package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// OpsHook is called at the named points of an operation's execution (the
// KillPoint constants and StepPoint). Fault-injection tests use it to stop the
// operator dead at one of them; the operator passes nil.
type OpsHook func(ctx context.Context, point string, ops *dbaasv1.OpsRequest)

// The points at which the OpsRequest controller calls its hook, in the order an
// operation passes them.
const (
	// BeforePlan: the operation was evaluated and is about to record its plan.
	BeforePlan = "before-plan"
	// AfterPlan: the plan is recorded, with its first step Started; nothing ran.
	AfterPlan = "after-plan"
	// BeforeFence: a reconcile that resumes a plan, or starts or resumes a rollback,
	// is about to prove its read fresh.
	BeforeFence = "before-fence"
	// BeforeRollback and AfterRollback surround the rollback of a cancelled operation.
	BeforeRollback = "before-rollback"
	AfterRollback  = "after-rollback"
	// BeforeFinish: the operation ended; the status that says so is not written yet.
	BeforeFinish = "before-finish"
)

// StepPoint names the point before ("before") or after ("after") step n runs: after
// the status that marks it Started, and after its change, before the status that
// marks it Done.
func StepPoint(when string, n int) string { return fmt.Sprintf("%s-step/%d", when, n) }

// at calls the hook, if any, at a point.
func (r *OpsRequestReconciler) at(ctx context.Context, point string, s *opsScope) {
	if r.Hook != nil {
		r.Hook(ctx, point, s.ops)
	}
}

// StepRef says which step of which operation a request to the API server makes.
type StepRef struct {
	// OpsRequest is the OpsRequest's UID.
	OpsRequest types.UID
	// Step is the step's index in the plan, or RollbackStep.
	Step int
	// Name is the step's name.
	Name string
}

// RollbackStep is the Step of a rollback's requests.
const RollbackStep = -1

type stepKey struct{}

// withStep tags the requests a step makes, so that a client wrapper (a test's
// record of writes) can tell which step each one belongs to.
func withStep(ctx context.Context, ref StepRef) context.Context {
	return context.WithValue(ctx, stepKey{}, ref)
}

// StepOf returns the step a request's context belongs to, if any.
func StepOf(ctx context.Context) (StepRef, bool) {
	ref, ok := ctx.Value(stepKey{}).(StepRef)
	return ref, ok
}
