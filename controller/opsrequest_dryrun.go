package controller

import (
	"context"
	"fmt"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// dryRun ends an operation that was only asked what it would do: it records the
// plan a real run would record at this point (the spec patch and each action with
// its target, after the policy and the engine's checks passed) and finishes
// Succeeded without taking a step. The plan is made as a real one is, from live
// reads; nothing is written but the OpsRequest's status. note adds what a real run
// would do first (wait for a converging cluster).
func (r *OpsRequestReconciler) dryRun(ctx context.Context, s *opsScope, note string) error {
	plan, err := r.plan(ctx, s)
	if err != nil {
		if isPermanent(err) {
			r.finish(s, dbaasv1.OpsFailed, dbaasv1.ActionFailedReason, err.Error())
			return nil
		}
		return err
	}
	s.ops.Status.Plan = plan
	r.finish(s, dbaasv1.OpsSucceeded, dbaasv1.DryRunReason,
		fmt.Sprintf("dry run: nothing was changed; status.plan lists the %d steps the operation would take%s", len(plan.Steps), note))
	return nil
}
