package testscripts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// cmdEvents prints the notes of the events with a reason about an object, waiting up
// to 30s for the first one (events are recorded asynchronously):
//
//	events <kind>/<name> <reason>
//
// With !, it checks for 3s that no such event appears.
func cmdEvents(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || !strings.Contains(args[0], "/") {
		ts.Fatalf("usage: events <kind>/<name> <reason>")
	}
	kind, name, _ := strings.Cut(args[0], "/")
	wait := 30 * time.Second
	if neg {
		wait = 3 * time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		notes, err := eventNotes(ts.Getenv("NAMESPACE"), kind, name, args[1])
		if err != nil {
			ts.Fatalf("cannot list events: %v", err)
		}
		if len(notes) > 0 {
			if neg {
				ts.Fatalf("unexpected %s events for %s: %s", args[1], args[0], strings.Join(notes, "; "))
			}
			fmt.Fprintln(ts.Stdout(), strings.Join(notes, "\n"))
			return
		}
		if time.Now().After(deadline) {
			if neg {
				return
			}
			ts.Fatalf("no %s event for %s after %s", args[1], args[0], wait)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func eventNotes(namespace, kind, name, reason string) ([]string, error) {
	var list eventsv1.EventList
	if err := env.client.List(context.Background(), &list, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	var notes []string
	for _, e := range list.Items {
		if e.Reason == reason && strings.EqualFold(e.Regarding.Kind, kind) && e.Regarding.Name == name {
			notes = append(notes, e.Note)
		}
	}
	return notes, nil
}
