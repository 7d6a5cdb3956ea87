package provider

import (
	"testing"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// TestFactoryAdmission: the webhooks' factory hands out the engines' admission views,
// the reconcilers' the engines themselves.
func TestFactoryAdmission(t *testing.T) {
	reg, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	pg, _ := reg.Get("postgresql")
	for _, tc := range []struct {
		admission bool
		want      *render.Engine
	}{{false, pg}, {true, pg.Admission()}} {
		p, err := (&Factory{Registry: reg, Admission: tc.admission}).Get("postgresql")
		if err != nil {
			t.Fatal(err)
		}
		if p.Engine() != tc.want {
			t.Errorf("Admission %v: got another view of the engine", tc.admission)
		}
	}
	if pg.Admission() == pg {
		t.Error("the admission view is the reconcilers' engine")
	}
}
