package provider

import "dbaas.io/operator/internal/render"

// cueApplier records the stages the controller asks for; the render runs at
// GetResult, where a failure names the stage it came from.
type cueApplier struct {
	session *render.Session
}

func (a *cueApplier) stage(s render.Stage) error {
	a.session.Apply(s)
	return nil
}

func (a *cueApplier) Metadata() error   { return a.stage(render.StageMetadata) }
func (a *cueApplier) Engine() error     { return a.stage(render.StageEngine) }
func (a *cueApplier) Proxy() error      { return a.stage(render.StageProxy) }
func (a *cueApplier) Monitoring() error { return a.stage(render.StageMonitoring) }
func (a *cueApplier) Scheduling() error { return a.stage(render.StageScheduling) }
func (a *cueApplier) Backup() error     { return a.stage(render.StageBackup) }
func (a *cueApplier) DataSource() error { return a.stage(render.StageDataSource) }

func (a *cueApplier) GetResult() (*render.Result, error) { return a.session.Result() }
