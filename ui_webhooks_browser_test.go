package main

import (
	"strconv"
	"strings"
	"testing"
)

// TestBrowserSettingsWebhooks: an owner adds a webhook from Settings ›
// Webhooks with chosen events, copies the secret shown once, sends a test
// that the receiver can verify, sees a refused address explained, and
// deletes the webhook.
func TestBrowserSettingsWebhooks(t *testing.T) {
	b := loggedIn(t, allowOnly127002)
	rcv := newReceiver(t)
	b.click(t, `aside nav a[href="/settings/tokens"]`)
	b.waitJS(t, "settings", `location.pathname === "/settings/tokens"`)
	b.click(t, `nav[aria-label=Settings] a[href="/settings/webhooks"]`)
	b.waitJS(t, "the webhooks page", `location.pathname === "/settings/webhooks" && document.querySelector("#webhook-url") !== null`)
	b.axe(t, "Settings › Webhooks, empty")

	// A private address is refused in plain words, and nothing is added.
	b.fill(t, "#webhook-url", "http://10.0.0.5/hook")
	b.click(t, `form[action="/settings/webhooks"] button[type=submit]`)
	b.waitJS(t, "the refusal", `document.querySelector("section[aria-labelledby=add-title] [role=alert]") !== null`)
	if msg := evalJS[string](t, b, `document.querySelector("section[aria-labelledby=add-title] [role=alert]").textContent`); !strings.Contains(msg, "does not lead to a public internet address") {
		t.Fatalf("refusal: %q", msg)
	}
	if evalJS[string](t, b, `document.querySelector("#webhook-url").value`) != "http://10.0.0.5/hook" || evalJS[bool](t, b, `document.querySelector("#webhook-list") !== null`) {
		t.Fatal("the form lost what was typed, or a webhook was added")
	}

	b.fill(t, "#webhook-url", rcv.url)
	evalJS[bool](t, b, `document.querySelector("#event-gallery-changed").click(), document.querySelector("#event-media-purged").click(), true`)
	b.click(t, `form[action="/settings/webhooks"] button[type=submit]`)
	b.waitJS(t, "the secret", `document.querySelector("[data-webhook-secret]") !== null`)
	secret := evalJS[string](t, b, `document.querySelector("#webhook-secret").value`)
	events := evalJS[string](t, b, `document.querySelector("#webhook-list li").textContent`)
	if !strings.HasPrefix(secret, "whsec_") || !strings.Contains(events, "gallery.changed") || strings.Contains(events, "media.purged") || !strings.Contains(events, "media.created") {
		t.Fatalf("secret %q, endpoint %q", secret, events)
	}
	b.axe(t, "Settings › Webhooks with the secret")

	// Send test before copying the secret: the secret stays on the page.
	b.click(t, "[data-send-test]")
	b.waitJS(t, "the test result", `document.querySelector("[data-test-result]") !== null`)
	if !evalJS[bool](t, b, `document.querySelector("[data-webhook-secret]") !== null && document.querySelector("#webhook-secret").value === `+strconv.Quote(secret)) {
		t.Fatal("Send test took the signing secret off the page before it was copied")
	}
	// Focus comes back after the result is swapped in and settles; under
	// load (CI, -race) a check made as the result appears can land between.
	b.waitJS(t, "focus back on Send test", `document.activeElement.closest("[data-send-test]") !== null`)

	b.navigate(t, "/settings/webhooks")
	b.waitJS(t, "the list", `document.querySelector("#webhook-list") !== null`)
	if strings.Contains(b.pageText(), secret) {
		t.Fatal("the secret is shown again")
	}
	b.click(t, "[data-send-test]")
	b.waitJS(t, "the test result", `document.querySelector("[data-test-result]") !== null`)
	if res := evalJS[string](t, b, `document.querySelector("[data-test-result]").textContent`); !strings.Contains(res, "Delivered ping · 200") || !strings.Contains(res, "answer 200") {
		t.Fatalf("test result: %q", res)
	}
	got := rcv.requests()
	if len(got) != 2 || got[1].header.Get("X-Gallerist-Event") != "ping" {
		t.Fatalf("receiver got %d requests", len(got))
	}
	if _, ok := verifySignature(secret, got[1].header, got[1].body); !ok {
		t.Fatal("the test's signature does not verify with the secret shown")
	}

	b.click(t, `#webhook-list a[href$="/delete"]`)
	b.waitJS(t, "the confirmation", `document.querySelector("#dialog button.btn-danger") !== null`)
	b.click(t, "#dialog button.btn-danger")
	b.waitJS(t, "the empty list", `location.pathname === "/settings/webhooks" && document.querySelector("#webhook-list") === null`)
	var n int
	b.app.db.QueryRowForTest(`SELECT COUNT(*) FROM webhooks`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d webhooks after delete", n)
	}
}
