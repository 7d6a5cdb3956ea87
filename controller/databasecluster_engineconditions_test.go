package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

func TestDropUnreported(t *testing.T) {
	cases := map[string]struct {
		// current are the condition types in status.
		current []string
		// reported are the types the engine's mapping reports now.
		reported []string
		// want are the types left.
		want []string
	}{
		"an engine condition no longer reported goes": {
			current:  []string{dbaasv1.ReadyCondition, "TLSReady", dbaasv1.ReconciledCondition},
			reported: []string{dbaasv1.ReadyCondition},
			want:     []string{dbaasv1.ReadyCondition, dbaasv1.ReconciledCondition},
		},
		"the operator's own conditions stay": {
			current:  []string{dbaasv1.ReconciledCondition, dbaasv1.ReconcilingCondition, dbaasv1.StalledCondition, dbaasv1.BackupHealthyCondition},
			reported: []string{dbaasv1.ReadyCondition},
			want:     []string{dbaasv1.ReconciledCondition, dbaasv1.ReconcilingCondition, dbaasv1.StalledCondition, dbaasv1.BackupHealthyCondition},
		},
		"reported conditions stay": {
			current:  []string{dbaasv1.ReadyCondition, "TLSReady"},
			reported: []string{dbaasv1.ReadyCondition, "TLSReady"},
			want:     []string{dbaasv1.ReadyCondition, "TLSReady"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var current, reported []metav1.Condition
			for _, c := range tc.current {
				current = append(current, metav1.Condition{Type: c, Status: metav1.ConditionTrue})
			}
			for _, c := range tc.reported {
				reported = append(reported, metav1.Condition{Type: c, Status: metav1.ConditionTrue})
			}
			dropUnreported(&current, reported)
			var got []string
			for _, c := range current {
				got = append(got, c.Type)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}
