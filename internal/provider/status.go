package provider

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// decodeStatus turns the engine's status.result into the API's status and its
// conditions. The JSON shapes match by design (#ClusterStatus mirrors the API).
func decodeStatus(result map[string]any) (*Status, error) {
	b, err := json.Marshal(result)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the mapped status: %w", err)
	}
	var s struct {
		dbaasv1.DatabaseClusterStatus `json:",inline"`
		Conditions                    []struct {
			Type    string                 `json:"type"`
			Status  metav1.ConditionStatus `json:"status"`
			Reason  string                 `json:"reason"`
			Message string                 `json:"message"`
		} `json:"conditions"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("the mapped status does not fit the API: %w", err)
	}
	// The outer Conditions shadows the embedded one, which Unmarshal leaves nil.
	out := &Status{DatabaseClusterStatus: s.DatabaseClusterStatus}
	for _, c := range s.Conditions {
		out.Conditions = append(out.Conditions, metav1.Condition{Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message})
	}
	return out, nil
}
