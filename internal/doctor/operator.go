package doctor

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"dbaas.io/operator/internal/render"
)

// listDeployments lists the Deployments of every namespace, where a child operator
// may run; the error says why they cannot be read (RBAC), and the operator checks
// are then skipped.
func listDeployments(ctx context.Context, c client.Reader) ([]appsv1.Deployment, error) {
	var list appsv1.DeploymentList
	if err := c.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("cannot list Deployments: %w", err)
	}
	return list.Items, nil
}

// operatorCheck looks for the engine's child operator among the Deployments: a
// container running its image. The same major.minor release as the engine's is OK
// (a patch release of the operator serves the same objects); another is WRONG
// VERSION. None found is NOT FOUND, which only informs: the operator may run
// outside the cluster, and none runs on `make dev`.
func operatorCheck(e *render.Engine, deployments []appsv1.Deployment, listErr error) Check {
	op := e.Operator
	c := Check{Engine: e.Name, Subject: fmt.Sprintf("operator %s %s", op.Name, op.Version)}
	switch {
	case op.Image == "":
		c.Status, c.Detail = Skipped, "the engine names no image to look for"
		return c
	case listErr != nil:
		c.Status, c.Detail = Skipped, listErr.Error()
		return c
	}
	var wrong []string
	for _, d := range deployments {
		for _, ctr := range d.Spec.Template.Spec.Containers {
			repo, tag := splitImage(ctr.Image)
			if repo != normalizeRepo(op.Image) {
				continue
			}
			where := d.Namespace + "/" + d.Name
			if sameMinor(tag, op.Version) {
				c.Status, c.Detail, c.Required = OK, fmt.Sprintf("%s runs %s", where, ctr.Image), true
				return c
			}
			wrong = append(wrong, fmt.Sprintf("%s runs %s", where, ctr.Image))
		}
	}
	if len(wrong) > 0 {
		c.Status, c.Required, c.Fix = WrongVersion, true, op.Install
		c.Detail = strings.Join(wrong, "; ") + fmt.Sprintf(": engine %s is written for %s", e.Name, op.Version)
		return c
	}
	c.Status, c.Fix = NotFound, op.Install
	c.Detail = fmt.Sprintf("no Deployment runs %s in any namespace (none runs on `make dev`; it may run outside the cluster)", op.Image)
	return c
}

// splitImage splits an image reference into its normalized repository and its tag
// (empty for a digest only).
func splitImage(image string) (repo, tag string) {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image, tag = image[:i], image[i+1:]
	}
	return normalizeRepo(image), tag
}

// normalizeRepo spells Docker Hub repositories one way: "percona/x" for
// "docker.io/percona/x" and "index.docker.io/percona/x".
func normalizeRepo(repo string) string {
	for _, p := range []string{"docker.io/", "index.docker.io/"} {
		repo = strings.TrimPrefix(repo, p)
	}
	return strings.TrimPrefix(repo, "library/")
}

// sameMinor reports whether two versions ("1.30.0", "v1.30.2") share major and
// minor.
func sameMinor(a, b string) bool {
	minor := func(v string) string {
		parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
		if len(parts) < 2 {
			return v
		}
		return parts[0] + "." + parts[1]
	}
	return a != "" && minor(a) == minor(b)
}
