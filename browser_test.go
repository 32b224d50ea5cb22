package main

// Browser end-to-end tests: real Chromium (Debian's /usr/bin/chromium) driven
// by chromedp, one browser per test binary, each test its own tab (in its own
// browser context, so cookies never leak between tests) and its own server on
// a loopback port with a fresh data directory.
//
// In CI (CI=true) a missing browser fails; elsewhere the tests skip.
// Screenshots of every page at 1280 and 375 px go to ./screenshots/.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gallerist/data"
	"gallerist/storage/s3test"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"
)

var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserCancel context.CancelFunc
	browserErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if browserCancel != nil {
		browserCancel()
	}
	s3test.StopShared()
	os.Exit(code)
}

// chromiumPath finds the browser: $CHROMIUM, then the usual names.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// sharedBrowser starts Chromium once per test binary.
func sharedBrowser(t testing.TB) context.Context {
	t.Helper()
	browserOnce.Do(func() {
		path := chromiumPath()
		if path == "" {
			browserErr = errors.New("no Chromium found (install Debian's chromium: apt-get install chromium, or set CHROMIUM)")
			return
		}
		dir, err := os.MkdirTemp("", "gallerist-chromium-")
		if err != nil {
			browserErr = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.UserDataDir(dir),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("no-first-run", true),
			chromedp.Flag("hide-scrollbars", true),
			chromedp.Flag("mute-audio", true),
			chromedp.WindowSize(1280, 900),
		)
		actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, bcancel := chromedp.NewContext(actx)
		if err := chromedp.Do(bctx); err != nil {
			bcancel()
			acancel()
			browserErr = fmt.Errorf("start %s: %w", path, err)
			return
		}
		browserCtx = bctx
		browserCancel = func() {
			bcancel()
			acancel()
			os.RemoveAll(dir)
		}
	})
	if browserErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need Chromium in CI: %v", browserErr)
		}
		t.Skipf("skipping browser test: %v", browserErr)
	}
	return browserCtx
}

// browserEnv is a Gallerist on a loopback port and a fresh tab pointed at it.
type browserEnv struct {
	*testEnv
	ctx  context.Context
	base string
}

const (
	testOwnerEmail    = "owner@example.com"
	testOwnerPassword = "correct horse battery"
)

func newBrowserEnv(t testing.TB, mutate ...func(*config)) *browserEnv {
	t.Helper()
	parent := sharedBrowser(t)
	e := newTestEnv(t, mutate...)
	e.app.users.Cost = bcrypt.MinCost
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.srv.App.Listener(ln)
	t.Cleanup(func() { e.srv.App.ShutdownWithTimeout(5 * time.Second) })

	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tctx, tcancel := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(tcancel)
	// The tab lives as long as the context of its first run, so that run has no timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return &browserEnv{testEnv: e, ctx: tctx, base: "http://" + ln.Addr().String()}
}

// stepTimeout bounds one browser step, so a stuck tab fails the test quickly.
const stepTimeout = 30 * time.Second

func (b *browserEnv) do(t testing.TB, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failure-" + sanitizeName(t.Name()))
		t.Fatalf("browser: %v", err)
	}
}

// eval runs JavaScript in the page and decodes its result into T.
func evalJS[T any](t testing.TB, b *browserEnv, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.shot("failure-" + sanitizeName(t.Name()))
		t.Fatalf("evaluate %.80s: %v", js, err)
	}
	return v
}

// waitJS waits until the JavaScript expression is truthy. It evaluates it
// afresh every 50 ms, so a page load in between (a form without htmx) is fine.
func (b *browserEnv) waitJS(t testing.TB, what, js string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+js+")"))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	b.shot("failure-" + sanitizeName(t.Name()))
	t.Fatalf("waiting for %s: timed out (last error: %v)\npage: %s", what, last, b.pageText())
}

func (b *browserEnv) pageText() string {
	s, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.location.pathname + "\n" + (document.body ? document.body.innerText.slice(0, 1500) : "")`))
	return s
}

func (b *browserEnv) navigate(t testing.TB, path string) {
	t.Helper()
	b.do(t, chromedp.Navigate(b.base+path), chromedp.WaitReady("body"))
	b.waitJS(t, "htmx to load", `window.htmx !== undefined && document.readyState === "complete"`)
}

// path is the page's current path and query.
func (b *browserEnv) path(t testing.TB) string {
	return evalJS[string](t, b, `location.pathname + location.search`)
}

func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// screenshotDir is where the tests write screenshots (git-ignored).
const screenshotDir = "screenshots"

// shot saves a screenshot of the current viewport.
func (b *browserEnv) shot(name string) {
	buf, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return
	}
	os.MkdirAll(screenshotDir, 0o755)
	os.WriteFile(filepath.Join(screenshotDir, name+".png"), buf, 0o644)
}

// screenshots saves the page at desktop (1280) and phone (375) widths, full
// length, then returns to the desktop width.
func (b *browserEnv) screenshots(t testing.TB, name string) {
	t.Helper()
	for _, w := range []struct {
		suffix string
		width  int64
		height int64
		mobile bool
	}{{"desktop", 1280, 900, false}, {"phone", 375, 812, true}} {
		opts := []chromedp.EmulateViewportOption{}
		if w.mobile {
			opts = append(opts, chromedp.EmulateScale(2), func(p *emulation.SetDeviceMetricsOverrideParams, _ *emulation.SetTouchEmulationEnabledParams) {
				p.Mobile = true
			})
		}
		b.do(t, chromedp.EmulateViewport(w.width, w.height, opts...), chromedp.Sleep(150*time.Millisecond))
		buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		os.MkdirAll(screenshotDir, 0o755)
		if err := os.WriteFile(filepath.Join(screenshotDir, name+"-"+w.suffix+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
		if w.mobile {
			// Nothing may stick out sideways at 375 px.
			overflow := evalJS[int](t, b, `Math.max(0, document.documentElement.scrollWidth - window.innerWidth)`)
			if overflow > 2 {
				t.Errorf("%s: the page is %d px wider than a 375 px phone", name, overflow)
			}
		}
	}
	b.do(t, chromedp.EmulateViewport(1280, 900))
}

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// axe runs axe-core (node_modules/axe-core, from npm ci) in the page and fails
// the test on serious or critical violations.
func (b *browserEnv) axe(t testing.TB, page string) {
	t.Helper()
	axeOnce.Do(func() {
		var src []byte
		src, axeErr = os.ReadFile(filepath.Join("node_modules", "axe-core", "axe.min.js"))
		axeSource = string(src)
	})
	if axeErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core is missing (run npm ci): %v", axeErr)
		}
		// Skip rather than pass: a page nobody checked must not read as accessible.
		t.Skipf("SKIP: axe-core is missing, so %s was not checked for accessibility (run npm ci): %v", page, axeErr)
	}
	if !evalJS[bool](t, b, `typeof window.axe !== "undefined"`) {
		evalJS[chromedp.Void](t, b, axeSource+"\n;undefined")
	}
	type violation struct {
		ID     string   `json:"id"`
		Impact string   `json:"impact"`
		Help   string   `json:"help"`
		Nodes  []string `json:"nodes"`
	}
	raw := evalJS[string](t, b, `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
			id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").slice(0, 200))
		}))))`)
	var vs []violation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Errorf("axe on %s: %s (%s): %s\n  %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}

// fill sets an input's value the way typing does.
func (b *browserEnv) fill(t testing.TB, sel, value string) {
	t.Helper()
	b.settled(t)
	b.do(t, chromedp.WaitVisible(chromedp.CSS(sel)))
	evalJS[chromedp.Void](t, b, `(() => { const e = document.querySelector(`+jsString(sel)+`); e.focus(); e.value = "" })()`)
	b.do(t, chromedp.SendKeys(chromedp.CSS(sel), value))
}

// settled waits until htmx has finished swapping and processing new content
// (a click in between would reach a form htmx has not enhanced yet).
func (b *browserEnv) settled(t testing.TB) {
	t.Helper()
	b.waitJS(t, "htmx to settle", `document.readyState === "complete" && window.htmx !== undefined &&
		document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added") === null`)
}

func (b *browserEnv) click(t testing.TB, sel string) {
	t.Helper()
	b.settled(t)
	b.do(t, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// setupOwner creates the owner through /setup and ends on the library.
func (b *browserEnv) setupOwner(t testing.TB) {
	t.Helper()
	b.navigate(t, "/")
	b.waitJS(t, "the setup page", `location.pathname === "/setup"`)
	b.fill(t, "#org_name", "Hilltop Ceramics")
	b.fill(t, "#email", testOwnerEmail)
	b.fill(t, "#password", testOwnerPassword)
	b.click(t, `button[type=submit]`)
	b.waitJS(t, "the library after setup", `location.pathname === "/media" && document.querySelector("h1") && document.querySelector("h1").textContent.includes("Library")`)
}

// login logs in through the form.
func (b *browserEnv) login(t testing.TB, email, password string) {
	t.Helper()
	b.navigate(t, "/login")
	b.fill(t, "#email", email)
	b.fill(t, "#password", password)
	b.click(t, `button[type=submit]`)
}

// ownerCtx is a context acting as the default organization's owner, for seeding.
func (b *browserEnv) ownerCtx() context.Context {
	return data.WithPrincipal(context.Background(), data.Principal{OrgID: b.app.defOrg.ID, Actor: testOwnerEmail,
		Role: data.RoleOwner, Scopes: data.RoleOwner.Scopes()})
}

// seedImages uploads n distinct images through the API and returns their ids.
func (b *browserEnv) seedImages(t testing.TB, prefix string, n int) []int64 {
	t.Helper()
	tok := b.token(t, 0)
	var ids []int64
	for i := 0; i < n; i++ {
		m := b.uploadOK(t, tok, fmt.Sprintf("%s-%d.png", prefix, i+1), testPNG(t, 320, 240, tileColors[i%len(tileColors)]))
		ids = append(ids, int64(m["id"].(float64)))
	}
	return ids
}

// seedProduct creates a product whose gallery holds the media items, in order.
func (b *browserEnv) seedProduct(t testing.TB, title string, mediaIDs ...int64) *data.Product {
	t.Helper()
	ctx := b.ownerCtx()
	p, err := b.app.catalog.CreateProduct(ctx, data.ProductCreate{Title: title, Status: data.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	if len(mediaIDs) > 0 {
		if _, err := b.app.catalog.AttachMedia(ctx, p.ID, data.GalleryAttach{MediaIDs: mediaIDs}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// dropFiles drops files from disk on the page, as a person dragging them from
// the desktop does: the files are read through a scratch file input, then a
// real DataTransfer carries them in dragenter, dragover and drop events.
func (b *browserEnv) dropFiles(t testing.TB, paths ...string) {
	t.Helper()
	b.dropOn(t, "", paths...)
}

// dropOn drops files on the element sel, a quarter of the way into it from
// the left and a third from the top (before it, in a gallery), or on the
// page's body when sel is "".
func (b *browserEnv) dropOn(t testing.TB, sel string, paths ...string) {
	t.Helper()
	target := `document.body, x = 0, y = 0`
	if sel != "" {
		b.center(t, sel) // scrolls it into view
		target = `null, r = document.querySelector(` + jsString(sel) + `).getBoundingClientRect(),
			x = r.left + r.width / 4, y = r.top + r.height / 3`
	}
	evalJS[chromedp.Void](t, b, `(() => { const i = document.createElement("input"); i.type = "file"; i.multiple = true; i.id = "scratch-files"; i.hidden = true; document.body.appendChild(i) })()`)
	b.do(t, chromedp.SetUploadFiles(chromedp.CSS("#scratch-files"), paths))
	evalJS[chromedp.Void](t, b, `(() => {
		const input = document.getElementById("scratch-files");
		const dt = new DataTransfer();
		for (const f of input.files) dt.items.add(f);
		input.remove();
		let target = `+target+`;
		if (!target) target = document.elementFromPoint(x, y);
		for (const type of ["dragenter", "dragover", "drop"]) {
			target.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: dt, clientX: x, clientY: y}));
		}
	})()`)
}

// center is the centre of the element in viewport coordinates (scrolled into view).
func (b *browserEnv) center(t testing.TB, sel string) (float64, float64) {
	t.Helper()
	xy := evalJS[[]float64](t, b, `(() => { const e = document.querySelector(`+jsString(sel)+`); e.scrollIntoView({block: "center"});
		const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2] })()`)
	return xy[0], xy[1]
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

// dragTo drags the element onto (just past the centre of) the target with a
// raw mouse sequence, which SortableJS's native drag and drop follows.
func (b *browserEnv) dragTo(t testing.TB, from, to string) {
	t.Helper()
	x0, y0 := b.center(t, from)
	x1, y1 := b.center(t, to)
	// Aim just past the target's centre, in the direction of travel.
	x1 += sign(x1-x0) * 12
	y1 += sign(y1-y0) * 12
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x0, y0),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.Sleep(60 * time.Millisecond),
	}
	for i := 1; i <= 10; i++ {
		f := float64(i) / 10
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f, chromedp.ButtonLeft), chromedp.Sleep(30*time.Millisecond))
	}
	steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x1, y1, chromedp.ButtonLeft), chromedp.Sleep(60*time.Millisecond),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y1, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	b.do(t, steps...)
}

func sign(v float64) float64 {
	switch {
	case v > 1:
		return 1
	case v < -1:
		return -1
	}
	return 0
}

// clearCache empties the browser's HTTP cache (for cold-load measurements).
func (b *browserEnv) clearCache(t testing.TB) {
	t.Helper()
	b.do(t, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.ClearBrowserCache, cdp.Empty{})
		return err
	}))
}

// setOffline cuts the tab off the network (requests fail, navigator.onLine
// is false, the offline event fires) or gives it back.
func (b *browserEnv) setOffline(t testing.TB, offline bool) {
	t.Helper()
	b.setNetwork(t, offline, 0)
}

// setNetwork sets the tab's network: offline, or online with latencyMS of
// delay before each answer (0: none).
func (b *browserEnv) setNetwork(t testing.TB, offline bool, latencyMS float64) {
	t.Helper()
	b.emulateNetwork(t, network.Conditions{Offline: offline, Latency: latencyMS, DownloadThroughput: -1, UploadThroughput: -1})
}

// throttleUploads limits what the tab sends to bytesPerSec (-1: no limit),
// so a large upload reliably finishes after small ones.
func (b *browserEnv) throttleUploads(t testing.TB, bytesPerSec float64) {
	t.Helper()
	b.emulateNetwork(t, network.Conditions{DownloadThroughput: -1, UploadThroughput: bytesPerSec})
}

func (b *browserEnv) emulateNetwork(t testing.TB, cond network.Conditions) {
	t.Helper()
	b.do(t, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{&cond}}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: cond.Offline, Latency: cond.Latency,
			DownloadThroughput: cond.DownloadThroughput, UploadThroughput: cond.UploadThroughput})
		return err
	}))
}
