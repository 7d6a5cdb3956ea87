package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// createOptions are the flags of create.
type createOptions struct {
	engine, version, storage, storageClass, cpu, memory string
	size                                                int32
	dryRun, output                                      string
}

func newCreate(f *factory) *cobra.Command {
	o := &createOptions{}
	cmd := &cobra.Command{
		Use:   "create NAME --engine ENGINE",
		Short: "create a DatabaseCluster",
		Example: `  dbaasctl create orders --engine postgresql --size 3 --storage 20Gi
  dbaasctl create orders --engine mysql --cpu 1 --memory 2Gi --dry-run -o yaml`,
		Args: exactly("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, f, args[0]) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.engine, "engine", "", "engine: "+strings.Join(engineNames(), ", "))
	fl.StringVar(&o.version, "version", "", "a version of the engine's catalog (default: the catalog's default)")
	fl.Int32Var(&o.size, "size", 0, "number of instances (spec.clusterSize; default: the engine's)")
	fl.StringVar(&o.storage, "storage", "10Gi", "volume size of each instance (spec.storage.size)")
	fl.StringVar(&o.storageClass, "storage-class", "", "StorageClass of the volumes (default: the cluster's default)")
	fl.StringVar(&o.cpu, "cpu", "", "CPU of each instance, as request and limit")
	fl.StringVar(&o.memory, "memory", "", "memory of each instance, as request and limit")
	fl.StringVar(&o.dryRun, "dry-run", "none", "client: print the object only; server: have the API server (and the webhook's checks) judge it without creating it")
	fl.Lookup("dry-run").NoOptDefVal = "client"
	addOutputFlag(cmd, &o.output, []string{"name", "yaml", "json"})
	_ = cmd.RegisterFlagCompletionFunc("engine", cobra.FixedCompletions(engineNames(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *createOptions) run(cmd *cobra.Command, f *factory, name string) error {
	if err := checkOutput(o.output, []string{"name", "yaml", "json"}); err != nil {
		return err
	}
	if o.dryRun != "none" && o.dryRun != "client" && o.dryRun != "server" {
		return usagef("--dry-run: unknown value %q: use client, server or none", o.dryRun)
	}
	dbc, err := o.cluster(name)
	if err != nil {
		return err
	}
	if dbc.Namespace, err = f.namespace(); err != nil {
		return err
	}
	if o.dryRun != "client" {
		c, err := f.client()
		if err != nil {
			return err
		}
		var opts []client.CreateOption
		if o.dryRun == "server" {
			opts = append(opts, client.DryRunAll)
		}
		if err := c.Create(cmd.Context(), dbc, opts...); err != nil {
			return refusal(fmt.Sprintf("DatabaseCluster %s", name), err)
		}
	}
	if o.output != "name" {
		return printObject(cmd.OutOrStdout(), o.output, dbc)
	}
	suffix := ""
	if o.dryRun != "none" {
		suffix = fmt.Sprintf(" (%s dry run)", o.dryRun)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "databasecluster.dbaas.io/%s created%s\n", name, suffix)
	return nil
}

// cluster builds the DatabaseCluster the flags describe; a bad value names its flag.
func (o *createOptions) cluster(name string) (*dbaasv1.DatabaseCluster, error) {
	if o.engine == "" {
		return nil, usagef("--engine is required: one of %s", strings.Join(engineNames(), ", "))
	}
	dbc := &dbaasv1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       dbaasv1.DatabaseClusterSpec{Engine: o.engine, Version: o.version},
	}
	if o.size != 0 {
		if o.size < 1 {
			return nil, usagef("--size: must be at least 1, not %d", o.size)
		}
		dbc.Spec.ClusterSize = &o.size
	}
	size, err := quantity("storage", o.storage)
	if err != nil {
		return nil, err
	}
	dbc.Spec.Storage.Size = size
	if o.storageClass != "" {
		dbc.Spec.Storage.StorageClass = &o.storageClass
	}
	resources, err := instanceResources(o.cpu, o.memory)
	if err != nil {
		return nil, err
	}
	if resources != nil {
		dbc.Spec.Resources = *resources
	}
	return dbc, nil
}

// quantity parses the value of a flag as a Kubernetes quantity, naming the flag when
// it is not one.
func quantity(flag, value string) (resource.Quantity, error) {
	q, err := resource.ParseQuantity(value)
	if err != nil {
		return q, usagef("--%s: %q is not a quantity (such as 500m, 2, 10Gi)", flag, value)
	}
	if q.Sign() <= 0 {
		return q, usagef("--%s: must be more than 0, not %s", flag, value)
	}
	return q, nil
}

// instanceResources are --cpu and --memory as requests and equal limits (a
// database's instances get what they ask for, and no more), or nil when neither is
// set.
func instanceResources(cpu, memory string) (*dbaasv1.Resources, error) {
	if cpu == "" && memory == "" {
		return nil, nil
	}
	list := corev1.ResourceList{}
	for _, r := range []struct {
		flag  string
		name  corev1.ResourceName
		value string
	}{{"cpu", corev1.ResourceCPU, cpu}, {"memory", corev1.ResourceMemory, memory}} {
		if r.value == "" {
			continue
		}
		q, err := quantity(r.flag, r.value)
		if err != nil {
			return nil, err
		}
		list[r.name] = q
	}
	return &dbaasv1.Resources{Requests: list, Limits: list.DeepCopy()}, nil
}
