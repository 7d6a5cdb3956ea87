package render_test

import (
	"slices"
	"strings"
	"testing"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// TestEnginesDeclareCLI checks the cli field of every embedded engine: each says how
// to connect, with a pod template dbaasctl can fill, and an engine names its
// backups (the backups field, which status and dbaasctl backups list read) exactly
// when it offers the Backup operation, of the kind that operation creates.
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
			switch b := e.Backups; {
			case hasBackup && b == nil:
				t.Errorf("engine %s offers Backup but declares no backups", e.Name)
			case !hasBackup && b != nil:
				t.Errorf("engine %s declares backups (%s) but offers no Backup", e.Name, b.Kind)
			case b != nil && b.Kind != backupKinds[e.Name]:
				t.Errorf("backups of %s names %s, want %s", e.Name, b.Kind, backupKinds[e.Name])
			case b != nil && b.ClusterLabel == "":
				t.Errorf("backups of %s names no cluster label", e.Name)
			}
		})
	}
}
