package render_test

import (
	"slices"
	"strings"
	"testing"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// TestEnginesDeclareCLI checks the cli field of every embedded engine: each says how
// to connect, with a pod template dbaasctl can fill, and an engine lists backups
// exactly when it offers the Backup operation, of the kind that operation creates.
func TestEnginesDeclareCLI(t *testing.T) {
	reg, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	backupKinds := map[string]string{
		"postgresql": "Backup",
		"mongodb":    "PerconaServerMongoDBBackup",
		"mysql":      "PerconaXtraDBClusterBackup",
	}
	for _, e := range reg.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			if e.CLI == nil || e.CLI.Connect == nil {
				t.Fatalf("engine %s declares no cli.connect", e.Name)
			}
			c := e.CLI.Connect
			if !strings.Contains(c.Pod, "{") || c.Container == "" || len(c.Command) == 0 {
				t.Errorf("cli.connect of %s is incomplete: %+v", e.Name, c)
			}
			hasBackup := slices.Contains(e.Operations, "Backup")
			switch b := e.CLI.Backups; {
			case hasBackup && b == nil:
				t.Errorf("engine %s offers Backup but declares no cli.backups", e.Name)
			case !hasBackup && b != nil:
				t.Errorf("engine %s declares cli.backups (%s) but offers no Backup", e.Name, b.Kind)
			case b != nil && b.Kind != backupKinds[e.Name]:
				t.Errorf("cli.backups of %s lists %s, want %s", e.Name, b.Kind, backupKinds[e.Name])
			}
		})
	}
}
