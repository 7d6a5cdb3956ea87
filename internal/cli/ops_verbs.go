package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// opVerb is one command that creates an OpsRequest of one type.
type opVerb struct {
	// use and short are the command's usage line and summary.
	use, short string
	// typ is the OpsRequest type it creates.
	typ dbaasv1.OpsType
	// flags adds the verb's own flags and returns what fills the spec from them and
	// from the cluster (nil under --dry-run=client); nil for a verb without flags.
	flags func(fs *pflag.FlagSet) func(spec *dbaasv1.OpsRequestSpec, cluster *dbaasv1.DatabaseCluster) error
}

// opVerbs are the verbs, one per operation type a user runs by hand (Custom is
// created with kubectl).
var opVerbs = []opVerb{
	{use: "start NAME", short: "start a stopped cluster (Start)", typ: dbaasv1.OpsStart},
	{use: "stop NAME", short: "stop a cluster, keeping its data (Stop)", typ: dbaasv1.OpsStop},
	{use: "restart NAME", short: "restart the instances one at a time (Restart)", typ: dbaasv1.OpsRestart},
	{use: "scale NAME --replicas N", short: "change the number of instances (HorizontalScaling)", typ: dbaasv1.OpsHorizontalScaling, flags: scaleFlags},
	{use: "resize NAME [--cpu C] [--memory M]", short: "change the CPU and memory of each instance (VerticalScaling)", typ: dbaasv1.OpsVerticalScaling, flags: resizeFlags},
	{use: "expand NAME --storage SIZE", short: "grow the volume of each instance (VolumeExpansion)", typ: dbaasv1.OpsVolumeExpansion, flags: expandFlags},
	{use: "reconfigure NAME --set KEY=VALUE...", short: "set configuration parameters (Reconfiguring)", typ: dbaasv1.OpsReconfiguring, flags: reconfigureFlags},
	{use: "upgrade NAME --version V", short: "upgrade to a version of the engine's catalog (Upgrade)", typ: dbaasv1.OpsUpgrade, flags: upgradeFlags},
	{use: "switchover NAME [--to INSTANCE]", short: "promote another instance to primary (Switchover)", typ: dbaasv1.OpsSwitchover, flags: switchoverFlags},
	{use: "rebuild NAME --instance INSTANCE", short: "recreate one instance from scratch (RebuildInstance)", typ: dbaasv1.OpsRebuildInstance, flags: rebuildFlags},
	{use: "backup NAME [--backup-name B] [--storage S]", short: "take a backup now (Backup)", typ: dbaasv1.OpsBackup, flags: backupFlags},
	{use: "restore NAME (--backup B --to NEW | --storage S --path P [--to NEW]) [--point-in-time T]", short: "restore a backup, or a BackupStorage's, into a new cluster (mongodb: a BackupStorage's into this one) (Restore)", typ: dbaasv1.OpsRestore, flags: restoreFlags},
	{use: "rotate-credentials NAME", short: "give the application user a new password; the binding Secret follows (RotateCredentials)", typ: dbaasv1.OpsRotateCredentials},
}

// opOptions are the flags every operation verb has.
type opOptions struct {
	name, dryRun, output string
	// plan creates the operation as a dry run (spec.dryRun) and prints its plan.
	plan         bool
	timeout, ttl time.Duration
	wait         waitOptions
}

func newOpVerb(f *factory, v opVerb) *cobra.Command {
	o := &opOptions{}
	verb := strings.Fields(v.use)[0]
	cmd := &cobra.Command{
		Use:               v.use,
		Short:             v.short,
		Args:              exactly("NAME"),
		ValidArgsFunction: f.completeClusters,
	}
	var fill func(*dbaasv1.OpsRequestSpec, *dbaasv1.DatabaseCluster) error
	if v.flags != nil {
		fill = v.flags(cmd.Flags())
	}
	fl := cmd.Flags()
	fl.StringVar(&o.name, "name", "", "name of the OpsRequest (default: NAME-"+verb+"- and a random suffix)")
	fl.DurationVar(&o.timeout, "timeout", 0, "fail the operation after this long (spec.timeoutSeconds; default: the engine's for the type)")
	fl.DurationVar(&o.ttl, "ttl", 0, "delete the OpsRequest this long after it ended (spec.ttlSecondsAfterFinished; default: kept)")
	fl.StringVar(&o.dryRun, "dry-run", "none", "client: print the OpsRequest only; server: have the API server (and the policies) judge it without creating it")
	fl.Lookup("dry-run").NoOptDefVal = "client"
	fl.BoolVar(&o.plan, "plan", false, "have the operator judge the operation as it would run now and print the steps it would take, taking none (an OpsRequest with spec.dryRun); exit code 1 when it would fail")
	addOutputFlag(cmd, &o.output, []string{"name", "yaml", "json"})
	o.wait.addFlags(fl)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return o.run(cmd.Context(), cmd, f, v, verb, fill, args[0])
	}
	return cmd
}

func (o *opOptions) run(ctx context.Context, cmd *cobra.Command, f *factory, v opVerb, verb string,
	fill func(*dbaasv1.OpsRequestSpec, *dbaasv1.DatabaseCluster) error, cluster string) error {
	if err := checkOutput(o.output, []string{"name", "yaml", "json"}); err != nil {
		return err
	}
	if o.dryRun != "none" && o.dryRun != "client" && o.dryRun != "server" {
		return usagef("--dry-run: unknown value %q: use client, server or none", o.dryRun)
	}
	if o.dryRun != "none" && o.wait.wait {
		return usagef("--wait: a dry run creates nothing to wait for")
	}
	if o.plan && (o.dryRun != "none" || o.wait.wait) {
		return usagef("--plan: not with --dry-run or --wait (it waits for the plan itself)")
	}
	ns, err := f.namespace()
	if err != nil {
		return err
	}
	ops := &dbaasv1.OpsRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: o.name},
		Spec:       dbaasv1.OpsRequestSpec{ClusterRef: cluster, Type: v.typ, DryRun: o.plan},
	}
	if o.name == "" {
		ops.GenerateName = cluster + "-" + verb + "-"
	}
	for _, d := range []struct {
		flag  string
		value time.Duration
		field **int32
	}{{"timeout", o.timeout, &ops.Spec.TimeoutSeconds}, {"ttl", o.ttl, &ops.Spec.TTLSecondsAfterFinished}} {
		if d.value < 0 || d.value > 0 && d.value < time.Second {
			return usagef("--%s: must be at least 1s, not %s", d.flag, d.value)
		}
		if d.value > 0 {
			seconds := int32(d.value / time.Second)
			*d.field = &seconds
		}
	}
	// The cluster is read first (except for a client dry run) so that a typo in its
	// name fails here, not when the operation starts.
	var dbc *dbaasv1.DatabaseCluster
	if o.dryRun != "client" {
		if dbc, err = f.getCluster(ctx, cluster); err != nil {
			return err
		}
	}
	if fill != nil {
		if err := fill(&ops.Spec, dbc); err != nil {
			return err
		}
	}
	if o.dryRun != "client" {
		if err := f.createOps(ctx, ops, o.dryRun == "server"); err != nil {
			return err
		}
	}
	out := cmd.OutOrStdout()
	switch {
	case o.output != "name":
		if err := printObject(out, o.output, ops); err != nil {
			return err
		}
	case o.dryRun != "none":
		fmt.Fprintf(out, "opsrequest.dbaas.io/%s created (%s dry run)\n", orNone(ops.Name), o.dryRun)
	default:
		fmt.Fprintf(out, "opsrequest.dbaas.io/%s created\n", ops.Name)
	}
	if o.plan {
		return o.wait.printPlan(ctx, f, cmd, ops)
	}
	if !o.wait.wait {
		return nil
	}
	return o.wait.follow(ctx, f, cmd, ops, dbaasv1.OpsSucceeded)
}

// createOps creates the OpsRequest; a refusal lists the webhook's reasons (the
// engine's checks of the parameters and the ops policy).
func (f *factory) createOps(ctx context.Context, ops *dbaasv1.OpsRequest, dryRun bool) error {
	c, err := f.client()
	if err != nil {
		return err
	}
	var opts []client.CreateOption
	if dryRun {
		opts = append(opts, client.DryRunAll)
	}
	if err := c.Create(ctx, ops, opts...); err != nil {
		return refusal(fmt.Sprintf("%s of DatabaseCluster %s", ops.Spec.Type, ops.Spec.ClusterRef), err)
	}
	return nil
}

func scaleFlags(fs *pflag.FlagSet) func(*dbaasv1.OpsRequestSpec, *dbaasv1.DatabaseCluster) error {
	replicas := fs.Int32("replicas", 0, "the new number of instances")
	return func(spec *dbaasv1.OpsRequestSpec, _ *dbaasv1.DatabaseCluster) error {
		if !fs.Changed("replicas") {
			return usagef("--replicas is required")
		}
		if *replicas < 1 {
			return usagef("--replicas: must be at least 1, not %d", *replicas)
		}
		spec.HorizontalScaling = &dbaasv1.HorizontalScaling{Replicas: *replicas}
		return nil
	}
}

// resizeFlags sets --cpu and --memory over the cluster's current resources, so that
// the one not given keeps its value.
func resizeFlags(fs *pflag.FlagSet) func(*dbaasv1.OpsRequestSpec, *dbaasv1.DatabaseCluster) error {
	cpu := fs.String("cpu", "", "CPU of each instance, as request and limit")
	memory := fs.String("memory", "", "memory of each instance, as request and limit")
	return func(spec *dbaasv1.OpsRequestSpec, c *dbaasv1.DatabaseCluster) error {
		given, err := instanceResources(*cpu, *memory)
		if err != nil {
			return err
		}
		if given == nil {
			return usagef("--cpu or --memory is required")
		}
		r := dbaasv1.Resources{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
		if c != nil {
			for k, v := range c.Spec.Resources.Requests {
				r.Requests[k] = v
			}
			for k, v := range c.Spec.Resources.Limits {
				r.Limits[k] = v
			}
		}
		for k, v := range given.Requests {
			r.Requests[k], r.Limits[k] = v, v
		}
		spec.VerticalScaling = &dbaasv1.VerticalScaling{Resources: r}
		return nil
	}
}

func expandFlags(fs *pflag.FlagSet) func(*dbaasv1.OpsRequestSpec, *dbaasv1.DatabaseCluster) error {
	storage := fs.String("storage", "", "the new volume size of each instance (larger than the current one)")
	return func(spec *dbaasv1.OpsRequestSpec, _ *dbaasv1.DatabaseCluster) error {
		if *storage == "" {
			return usagef("--storage is required")
		}
		q, err := quantity("storage", *storage)
		if err != nil {
			return err
		}
		spec.VolumeExpansion = &dbaasv1.VolumeExpansion{Size: q}
		return nil
	}
}

func reconfigureFlags(fs *pflag.FlagSet) func(*dbaasv1.OpsRequestSpec, *dbaasv1.DatabaseCluster) error {
	sets := fs.StringArray("set", nil, "a parameter as KEY=VALUE (repeat for more)")
	return func(spec *dbaasv1.OpsRequestSpec, _ *dbaasv1.DatabaseCluster) error {
		if len(*sets) == 0 {
			return usagef("--set is required: KEY=VALUE")
		}
		r := &dbaasv1.Reconfiguring{}
		seen := map[string]bool{}
		for _, s := range *sets {
			k, v, ok := strings.Cut(s, "=")
			if !ok || k == "" {
				return usagef("--set: %q is not KEY=VALUE", s)
			}
			if seen[k] {
				return usagef("--set: %s is set twice", k)
			}
			seen[k] = true
			r.Config = append(r.Config, dbaasv1.ConfigParameter{Name: k, Value: v})
		}
		spec.Reconfiguring = r
		return nil
	}
}

func upgradeFlags(fs *pflag.FlagSet) func(*dbaasv1.OpsRequestSpec, *dbaasv1.DatabaseCluster) error {
	version := fs.String("version", "", "a version of the engine's catalog, newer than the running one")
	return func(spec *dbaasv1.OpsRequestSpec, _ *dbaasv1.DatabaseCluster) error {
		if *version == "" {
			return usagef("--version is required")
		}
		spec.Upgrade = &dbaasv1.Upgrade{Version: *version}
		return nil
	}
}

func switchoverFlags(fs *pflag.FlagSet) func(*dbaasv1.OpsRequestSpec, *dbaasv1.DatabaseCluster) error {
	to := fs.String("to", "", "the instance to promote (default: the engine picks the healthiest replica)")
	return func(spec *dbaasv1.OpsRequestSpec, _ *dbaasv1.DatabaseCluster) error {
		if *to != "" {
			spec.Switchover = &dbaasv1.Switchover{Instance: *to}
		}
		return nil
	}
}

func rebuildFlags(fs *pflag.FlagSet) func(*dbaasv1.OpsRequestSpec, *dbaasv1.DatabaseCluster) error {
	instance := fs.String("instance", "", "the instance to rebuild (never the primary)")
	return func(spec *dbaasv1.OpsRequestSpec, _ *dbaasv1.DatabaseCluster) error {
		if *instance == "" {
			return usagef("--instance is required")
		}
		spec.RebuildInstance = &dbaasv1.RebuildInstance{Instance: *instance}
		return nil
	}
}

func backupFlags(fs *pflag.FlagSet) func(*dbaasv1.OpsRequestSpec, *dbaasv1.DatabaseCluster) error {
	name := fs.String("backup-name", "", "name of the backup object (default: the OpsRequest's name and the start of its UID)")
	storage := fs.String("storage", "", "the BackupStorage to back up to (default: the cluster's own)")
	return func(spec *dbaasv1.OpsRequestSpec, _ *dbaasv1.DatabaseCluster) error {
		if *name != "" || *storage != "" {
			spec.Backup = &dbaasv1.BackupOps{Name: *name, StorageName: *storage}
		}
		return nil
	}
}

func restoreFlags(fs *pflag.FlagSet) func(*dbaasv1.OpsRequestSpec, *dbaasv1.DatabaseCluster) error {
	backup := fs.String("backup", "", "the backup to restore into a new cluster (dbaasctl backups list NAME)")
	to := fs.String("to", "", "name of the new DatabaseCluster")
	storage := fs.String("storage", "", "a BackupStorage to restore from (with --path): into a new cluster for postgresql and mysql (--to, default: the engine's name), into this cluster, replacing its data, for mongodb")
	path := fs.String("path", "", "with --storage: what to restore, under the storage's prefix (as spec.dataSource.backupStorage.path)")
	pit := fs.String("point-in-time", "", "restore up to this moment, RFC 3339 (2026-01-01T10:00:00Z; default: the end of the backup)")
	return func(spec *dbaasv1.OpsRequestSpec, _ *dbaasv1.DatabaseCluster) error {
		var at *metav1.Time
		if *pit != "" {
			t, err := time.Parse(time.RFC3339, *pit)
			if err != nil {
				return usagef("--point-in-time: %q is not an RFC 3339 time such as 2026-01-01T10:00:00Z", *pit)
			}
			at = &metav1.Time{Time: t}
		}
		switch {
		case *storage != "" && *backup != "":
			return usagef("give one of --backup or --storage")
		case *storage != "":
			if *path == "" {
				return usagef("--path is required with --storage: what to restore, under the storage's prefix")
			}
			spec.Restore = &dbaasv1.Restore{BackupStorage: &dbaasv1.BackupStorageSource{Name: *storage, Path: *path, PointInTime: at}, TargetCluster: *to}
			return nil
		case *path != "":
			return usagef("--path goes with --storage")
		case *backup == "":
			return usagef("--backup (into a new cluster, with --to) or --storage (with --path) is required")
		case *to == "":
			return usagef("--to is required: the name of the new DatabaseCluster")
		}
		spec.Restore = &dbaasv1.Restore{BackupName: *backup, TargetCluster: *to, PointInTime: at}
		return nil
	}
}
