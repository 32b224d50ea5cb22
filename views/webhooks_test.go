package views

import (
	"strings"
	"testing"
	"time"

	"gallerist/data"
)

// Only an event's latest attempt in the log says when the next one is: the
// earlier attempts' "Next attempt" times have passed (the merchant review
// saw every failed attempt keep its own).
func TestDeliveryNextOnlyOnLatestAttempt(t *testing.T) {
	at := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	first := &data.WebhookDelivery{EventID: 5, Attempt: 1, MaxAttempts: 8, Outcome: data.DeliveryFailed, Status: 500, NextAttemptAt: at}
	second := &data.WebhookDelivery{EventID: 5, Attempt: 2, MaxAttempts: 8, Outcome: data.DeliveryFailed, Status: 500, NextAttemptAt: at.Add(20 * time.Second)}
	other := &data.WebhookDelivery{EventID: 6, Attempt: 1, MaxAttempts: 8, Outcome: data.DeliveryFailed, Error: "timed out after 15s", NextAttemptAt: at.Add(time.Minute)}
	ds := []*data.WebhookDelivery{other, second, first}
	if got := deliveryNext(first, ds); got != "" {
		t.Errorf("the first attempt, tried again since, says %q", got)
	}
	if got := deliveryNext(second, ds); !strings.Contains(got, "Next attempt 3 Dec 2026, 14:00:20 UTC") {
		t.Errorf("the latest attempt says %q", got)
	}
	if got := deliveryNext(other, ds); !strings.HasPrefix(got, "timed out after 15s Next attempt") {
		t.Errorf("another event's attempt says %q", got)
	}
}

// Every event type has words for the merchant, not only its code.
func TestEventTypeLabels(t *testing.T) {
	for _, typ := range data.EventTypes {
		if l := eventTypeLabel(typ); l == typ || l == "" {
			t.Errorf("%s has no label", typ)
		}
	}
}
