// Package lastgood keeps the files of the last engine or policy override that
// loaded, so that an operator restarted with a broken override serves that version
// instead of the embedded one (which would re-render the fleet with another
// engine) or nothing (a crash loop).
package lastgood

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Store keeps named sets of files.
type Store interface {
	// Load returns the files saved under name; ok is false when none were.
	Load(ctx context.Context, name string) (files map[string][]byte, ok bool, err error)
	// Save replaces the files saved under name.
	Save(ctx context.Context, name string, files map[string][]byte) error
}

// ConfigMaps stores each set of files in a ConfigMap of its own,
// "<Prefix>-<name>" in Namespace, as one tar archive (paths keep their folders;
// ConfigMap keys could not).
type ConfigMaps struct {
	Client    client.Client
	Namespace string
	// Prefix names the ConfigMaps. Default: dbaas-last-good.
	Prefix string
}

const archiveKey = "files.tar"

// Load reads the ConfigMap of name.
func (s ConfigMaps) Load(ctx context.Context, name string) (map[string][]byte, bool, error) {
	cm := &corev1.ConfigMap{}
	err := s.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: s.name(name)}, cm)
	if apierrors.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("cannot read the last good %s: %w", name, err)
	}
	files, err := untar(cm.BinaryData[archiveKey])
	if err != nil {
		return nil, false, fmt.Errorf("cannot read the last good %s: %w", name, err)
	}
	return files, true, nil
}

// Save writes the ConfigMap of name, unless it holds these files already.
func (s ConfigMaps) Save(ctx context.Context, name string, files map[string][]byte) error {
	archive, err := tarFiles(files)
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.name(name)}}
	err = s.Client.Get(ctx, client.ObjectKeyFromObject(cm), cm)
	switch {
	case apierrors.IsNotFound(err):
		cm.Labels = map[string]string{"app.kubernetes.io/managed-by": "dbaas-operator", "dbaas.io/last-good": "true"}
		cm.Annotations = map[string]string{"dbaas.io/digest": Digest(files)}
		cm.BinaryData = map[string][]byte{archiveKey: archive}
		err = s.Client.Create(ctx, cm)
	case err == nil:
		if bytes.Equal(cm.BinaryData[archiveKey], archive) {
			return nil
		}
		// A patch guarded by the resourceVersion: another replica's save in between
		// fails this one rather than being overwritten unseen.
		patch := client.MergeFromWithOptions(cm.DeepCopy(), client.MergeFromWithOptimisticLock{})
		if cm.Annotations == nil {
			cm.Annotations = map[string]string{}
		}
		cm.Annotations["dbaas.io/digest"] = Digest(files)
		cm.BinaryData = map[string][]byte{archiveKey: archive}
		err = s.Client.Patch(ctx, cm, patch)
	}
	if err != nil {
		return fmt.Errorf("cannot save the last good %s: %w", name, err)
	}
	return nil
}

func (s ConfigMaps) name(name string) string {
	prefix := s.Prefix
	if prefix == "" {
		prefix = "dbaas-last-good"
	}
	return prefix + "-" + name
}

// Digest identifies a set of files by content.
func Digest(files map[string][]byte) string {
	h := sha256.New()
	for _, p := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(files[p]))
		h.Write(files[p])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// tarFiles archives the files in path order, with no times or owners, so the same
// files always make the same bytes.
func tarFiles(files map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if err := w.WriteHeader(&tar.Header{Name: p, Mode: 0o644, Size: int64(len(files[p])), Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := w.Write(files[p]); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func untar(b []byte) (map[string][]byte, error) {
	files := map[string][]byte{}
	r := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := r.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		files[h.Name] = data
	}
}
