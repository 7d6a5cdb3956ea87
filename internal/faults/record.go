package faults

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
)

// stepKey is the context key of a step tag.
type stepKey struct{}

// WithStep tags the requests made with ctx as the named step ("<op-uid>/<step>"), so
// that a test can tell how many of them reached the API server.
func WithStep(ctx context.Context, step string) context.Context {
	return context.WithValue(ctx, stepKey{}, step)
}

// StepOf returns the step a context is tagged with, if any.
func StepOf(ctx context.Context) (string, bool) {
	step, ok := ctx.Value(stepKey{}).(string)
	return step, ok
}

// Mutation is a mutating request that the API server accepted (answered 2xx).
type Mutation struct {
	// Step is the request context's step tag; "" when untagged.
	Step string
	// Verb is create, update, patch, delete or deletecollection.
	Verb Verb
	// Method and Path are the request's, without the query.
	Method, Path string
	// FieldManager is the request's fieldManager parameter, if any.
	FieldManager string
	// Digest is a short digest of the body, so that two requests with the same
	// effect can be told from two with different ones.
	Digest string
	// Code is the API server's status code.
	Code int
	// Time is when the answer came.
	Time time.Time
}

// String reads as an audit line: "PATCH /apis/... fieldManager=x body=1a2b3c4d5e6f".
func (m Mutation) String() string {
	s := m.Method + " " + m.Path
	if m.FieldManager != "" {
		s += " fieldManager=" + m.FieldManager
	}
	return fmt.Sprintf("%s body=%s -> %d", s, m.Digest, m.Code)
}

// Mutations returns the accepted mutating requests tagged with step, oldest first.
func (in *Injector) Mutations(step string) []Mutation {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.byStep[step])
}

// Steps returns the steps with accepted mutating requests, sorted; "" stands for the
// untagged ones when those are recorded.
func (in *Injector) Steps() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	steps := make([]string, 0, len(in.byStep))
	for s := range in.byStep {
		steps = append(steps, s)
	}
	slices.Sort(steps)
	return steps
}

// RecordUntagged makes the injector record, under the step "", the accepted
// mutating requests of untagged contexts too: what reached the API server from code
// that does not tag its steps.
func (in *Injector) RecordUntagged(on bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.recordUntagged = on
}

// recording reports whether the accepted mutating requests of ctx are recorded.
func (in *Injector) recording(ctx context.Context) bool {
	if _, ok := StepOf(ctx); ok {
		return true
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.recordUntagged
}

// record notes an accepted mutating request.
func (in *Injector) record(req *http.Request, r request, body []byte, code int) {
	step, _ := StepOf(req.Context())
	sum := sha256.Sum256(body)
	m := Mutation{
		Step:         step,
		Verb:         r.verb,
		Method:       req.Method,
		Path:         req.URL.Path,
		FieldManager: req.URL.Query().Get("fieldManager"),
		Digest:       hex.EncodeToString(sum[:6]),
		Code:         code,
		Time:         time.Now(),
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.byStep[step] = append(in.byStep[step], m)
}

// readBody returns the request's body and a request that can still send it.
func readBody(req *http.Request) ([]byte, *http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, req, nil
	}
	if req.GetBody != nil {
		// The request can replay its body: read a copy and leave its own untouched.
		rc, err := req.GetBody()
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read the request body: %w", err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read the request body: %w", err)
		}
		return b, req, nil
	}
	b, err := io.ReadAll(req.Body)
	if closeErr := req.Body.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the request body: %w", err)
	}
	clone := req.Clone(req.Context())
	clone.Body = io.NopCloser(bytes.NewReader(b))
	clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return b, clone, nil
}
