package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"dbaas.io/operator/config"
	"dbaas.io/operator/internal/childcheck"
)

// installOperator is how README ("Deploying") installs our CRDs, webhooks and
// operator.
const installOperator = "kubectl apply -k config/default"

// ourCRDs checks that the API server serves every version of our CRDs, as `make
// manifests` generated them. Discovery serves a CRD's kinds once it is established.
func ourCRDs(served *childcheck.Checker) ([]Check, error) {
	files, err := fs.Glob(config.CRDs, "crd/bases/*.yaml")
	if err != nil {
		return nil, err
	}
	var checks []Check
	for _, f := range files {
		data, err := fs.ReadFile(config.CRDs, f)
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(data, &crd); err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", f, err)
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served {
				continue
			}
			k, err := served.Kind(schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind})
			if err != nil {
				return nil, err
			}
			c := Check{Subject: "CRD " + crd.Name, Status: Status(k.State), Required: true, Detail: k.String() + " served"}
			switch k.State {
			case childcheck.Missing:
				c.Detail, c.Fix = k.String()+" not served: the CRD is not installed", installOperator
			case childcheck.WrongVersion:
				c.Detail, c.Fix = k.String()+" served only as "+strings.Join(k.Served, ", ")+": the CRD is of another release", installOperator
			}
			checks = append(checks, c)
		}
	}
	return checks, nil
}

// ourWebhooks checks that every webhook of the generated configurations is
// registered, by name, with a CA bundle and, when it calls a Service, that Service.
func ourWebhooks(ctx context.Context, c client.Reader) ([]Check, error) {
	want, err := generatedWebhooks()
	if err != nil {
		return nil, err
	}
	have, listErr := registeredWebhooks(ctx, c)
	var checks []Check
	for _, w := range want {
		check := Check{Subject: "webhook " + w.name, Required: true}
		got, ok := have[w.kind+"/"+w.name]
		switch {
		case listErr != nil:
			check.Status, check.Detail, check.Required = Skipped, listErr.Error(), false
		case !ok:
			check.Status, check.Detail, check.Fix = Missing, "no "+w.kind+" has it", installOperator
		case len(got.CABundle) == 0:
			check.Status, check.Detail = NotReady, "no CA bundle: the operator writes it when it starts"
		case got.Service != nil:
			check.Status, check.Detail = serviceStatus(ctx, c, got.Service)
		default:
			check.Status, check.Detail = OK, "calls "+deref(got.URL)+", CA bundle set"
		}
		checks = append(checks, check)
	}
	return checks, nil
}

// serviceStatus checks the Service a webhook calls.
func serviceStatus(ctx context.Context, c client.Reader, ref *admissionv1.ServiceReference) (Status, string) {
	name := ref.Namespace + "/" + ref.Name
	err := c.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, &corev1.Service{})
	switch {
	case apierrors.IsNotFound(err):
		return NotReady, "its Service " + name + " does not exist"
	case err != nil:
		return Skipped, fmt.Sprintf("calls Service %s, CA bundle set; cannot read the Service: %v", name, err)
	}
	return OK, "calls Service " + name + ", CA bundle set"
}

// webhook is one webhook of a configuration: its kind (Validating or Mutating
// WebhookConfiguration) and name.
type webhook struct{ kind, name string }

// generatedWebhooks reads the webhooks of config/webhook/manifests.yaml.
func generatedWebhooks() ([]webhook, error) {
	var out []webhook
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(config.Webhooks), 4096)
	for {
		var doc struct {
			Kind     string `json:"kind"`
			Webhooks []struct {
				Name string `json:"name"`
			} `json:"webhooks"`
		}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("cannot read the generated webhook configurations: %w", err)
		}
		for _, w := range doc.Webhooks {
			out = append(out, webhook{kind: doc.Kind, name: w.Name})
		}
	}
}

// registeredWebhooks returns the client configuration of every registered webhook,
// keyed by "<configuration kind>/<webhook name>".
func registeredWebhooks(ctx context.Context, c client.Reader) (map[string]admissionv1.WebhookClientConfig, error) {
	out := map[string]admissionv1.WebhookClientConfig{}
	var validating admissionv1.ValidatingWebhookConfigurationList
	if err := c.List(ctx, &validating); err != nil {
		return nil, fmt.Errorf("cannot list ValidatingWebhookConfigurations: %w", err)
	}
	for _, cfg := range validating.Items {
		for _, w := range cfg.Webhooks {
			out["ValidatingWebhookConfiguration/"+w.Name] = w.ClientConfig
		}
	}
	var mutating admissionv1.MutatingWebhookConfigurationList
	if err := c.List(ctx, &mutating); err != nil {
		return nil, fmt.Errorf("cannot list MutatingWebhookConfigurations: %w", err)
	}
	for _, cfg := range mutating.Items {
		for _, w := range cfg.Webhooks {
			out["MutatingWebhookConfiguration/"+w.Name] = w.ClientConfig
		}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
