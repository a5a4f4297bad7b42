package ui_test

import (
	"bytes"
	"context"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/ui"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// screenshotDirEnv names a directory where the browser test also writes its
// screenshots, to look at them (ORDO_UI_SCREENSHOTS=/tmp go test ...).
const screenshotDirEnv = "ORDO_UI_SCREENSHOTS"

// newBrowser starts headless Chromium for the test, or skips the test when
// it is not installed (and fails instead on CI, which installs it).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser test: %s is missing on CI (.ci/run installs Debian's chromium package): %v", chromiumPath, err)
		}
		t.Skipf("browser test skipped: %s not found; install it with `apt-get install chromium` (on CI, with CI=true, this is a failure)", chromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// Start the browser on a context without a deadline (a deadline on the
	// first run would bound the browser's whole life).
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return ctx
}

// run runs browser actions, failing the test after 30 s.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}

// text returns the text of the first element matching a CSS selector.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(c, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("browser: text of %s: %v", sel, err)
	}
	return s
}

// screenshot captures the whole page as PNG, checks it decodes, and
// writes it under dir (and under $ORDO_UI_SCREENSHOTS when set).
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(c, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		t.Fatalf("browser: screenshot: %v", err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if cfg.Width < 800 || cfg.Height < 400 {
		t.Fatalf("screenshot %s is %dx%d", name, cfg.Width, cfg.Height)
	}
	if _, err := png.Decode(bytes.NewReader(buf)); err != nil {
		t.Fatalf("screenshot %s does not decode: %v", name, err)
	}
	for _, d := range []string{dir, os.Getenv(screenshotDirEnv)} {
		if d == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(d, name), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowser drives the dashboard in headless Chromium: the list, a click
// through to an instance, its timeline, live refreshes and the Pause
// button, with JavaScript (htmx) and without.
func TestBrowser(t *testing.T) {
	f := setup(t, nil)
	ctx := newBrowser(t)
	shots := t.TempDir()
	f.start("checkout", "order-1041")
	f.env.WaitDone("order-1041")
	f.waiting("order-1042")

	// The list, with htmx loaded under the content security policy.
	run(t, ctx, "open the list", chromedp.Navigate(f.srv.URL+"/ui/"), chromedp.WaitVisible(chromedp.CSS(`#instances a[href="/ui/instances/order-1042"]`)))
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`typeof htmx === "object" ? htmx.version : "htmx not loaded"`)); err != nil || v != "2.0.11" {
		t.Fatalf("htmx in the page: %q %v", v, err)
	}
	// The table refreshes by itself: an instance created now shows up.
	f.waiting("order-1043")
	run(t, ctx, "see a new instance appear", chromedp.WaitVisible(chromedp.CSS(`#instances a[href="/ui/instances/order-1043"]`)))
	screenshot(t, ctx, shots, "list.png")

	// Click through to the instance and see its timeline.
	run(t, ctx, "open order-1042", chromedp.Click(chromedp.CSS(`a[href="/ui/instances/order-1042"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#timeline tr[data-key="packed#1"]`)))
	rows, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`#timeline tr.step-row`)))
	if err != nil || len(rows) != 2 {
		t.Fatalf("timeline rows: %d %v", len(rows), err)
	}
	if s := text(t, ctx, `#timeline tr[data-key="packed#1"] td.details`); !strings.Contains(s, "Waiting for the event until") {
		t.Fatalf("event wait row says %q", s)
	}

	// Pause: htmx posts the form and swaps the page in place.
	run(t, ctx, "click Pause", chromedp.Click(chromedp.ID("action-pause")),
		chromedp.WaitVisible(chromedp.CSS(`#summary .badge.s-paused`)))
	if s := text(t, ctx, "#instance-status"); s != "paused" {
		t.Fatalf("status after Pause: %q", s)
	}
	if s := text(t, ctx, "#actions .flash"); !strings.Contains(s, "Paused") {
		t.Fatalf("flash after Pause: %q", s)
	}
	if st := f.status("order-1042"); st != ordo.StatusPaused {
		t.Fatalf("engine status after Pause: %s", st)
	}
	screenshot(t, ctx, shots, "paused.png")

	// A refused action shows the engine's message.
	run(t, ctx, "click Pause again", chromedp.Click(chromedp.ID("action-pause")),
		chromedp.WaitVisible(chromedp.CSS(`#actions .flash.error`)))
	if s := text(t, ctx, "#actions .flash.error"); !strings.Contains(s, "pause needs a queued, running or waiting instance") {
		t.Fatalf("refused Pause says %q", s)
	}

	// Resume, then an event from elsewhere: the live timeline follows.
	run(t, ctx, "click Resume", chromedp.Click(chromedp.ID("action-resume")),
		chromedp.WaitVisible(chromedp.CSS(`#actions .flash.ok`)))
	f.waitStep("order-1042", "packed#1", "waiting")
	f.env.SendEvent("order-1042", "order.packed", map[string]int{"boxes": 2})
	run(t, ctx, "see the instance complete", chromedp.WaitVisible(chromedp.CSS(`#summary .badge.s-complete`)),
		chromedp.WaitVisible(chromedp.CSS(`#timeline tr[data-key="finish#1"]`)))

	// The errored checkout with retries, a sleep and compensations.
	run(t, ctx, "open order-1041", chromedp.Navigate(f.srv.URL+"/ui/instances/order-1041"),
		chromedp.WaitVisible(chromedp.CSS(`#timeline tr[data-key="ship#1"]`)))
	screenshot(t, ctx, shots, "checkout.png")

	// Without JavaScript the forms still work: POST, redirect, page.
	run(t, ctx, "turn JavaScript off", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	run(t, ctx, "open order-1043 without JavaScript", chromedp.Navigate(f.srv.URL+"/ui/instances/order-1043"),
		chromedp.WaitVisible(chromedp.ID("action-pause")))
	run(t, ctx, "click Pause without JavaScript", chromedp.Click(chromedp.ID("action-pause")),
		chromedp.WaitVisible(chromedp.CSS(`#summary .badge.s-paused`)))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.HasSuffix(loc, "/ui/instances/order-1043?done=pause") {
		t.Fatalf("after a plain form POST the browser is at %q (%v), want the redirect", loc, err)
	}
	if st := f.status("order-1043"); st != ordo.StatusPaused {
		t.Fatalf("engine status after Pause without JavaScript: %s", st)
	}
}

// TestBrowserSignIn drives the sign-in in headless Chromium: the
// dashboard sends the browser to the sign-in page, a wrong key is refused,
// the right one shows the instances with the key's name, a revoked key
// sends the live page back to sign-in (htmx's HX-Redirect), and sign-out
// ends the session.
func TestBrowserSignIn(t *testing.T) {
	f := setupAuth(t, &ui.Config{RefreshInterval: 200 * time.Millisecond})
	ctx := newBrowser(t)
	shots := t.TempDir()
	f.waiting("order-2001")
	list := `#instances a[href="/ui/instances/order-2001"]`

	run(t, ctx, "open the dashboard", chromedp.Navigate(f.srv.URL+"/ui/instances/order-2001"), chromedp.WaitVisible(chromedp.ID("login-key")))
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || loc != f.srv.URL+"/ui/login?next="+url.QueryEscape("/ui/instances/order-2001") {
		t.Fatalf("not signed in, the browser is at %q (%v), want the sign-in page", loc, err)
	}
	screenshot(t, ctx, shots, "login.png")

	run(t, ctx, "sign in with a wrong key", chromedp.SendKeys(chromedp.ID("login-key"), "ordo_not-a-key"),
		chromedp.Click(chromedp.ID("login-submit")), chromedp.WaitVisible(chromedp.ID("login-error")))
	if s := text(t, ctx, "#login-error"); !strings.Contains(s, "not accepted") {
		t.Fatalf("wrong key says %q", s)
	}

	run(t, ctx, "sign in", chromedp.SendKeys(chromedp.ID("login-key"), f.key["reader"]),
		chromedp.Click(chromedp.ID("login-submit")), chromedp.WaitVisible(chromedp.ID("timeline")))
	if s := text(t, ctx, "#signed-in-as"); !strings.Contains(s, "reader") || !strings.Contains(s, "read") {
		t.Fatalf("the top bar says %q", s)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#actions button").length`)); err != nil || n != 0 {
		t.Fatalf("a read key sees %d action buttons (%v)", n, err)
	}
	run(t, ctx, "see the instances", chromedp.Navigate(f.srv.URL+"/ui/"), chromedp.WaitVisible(chromedp.CSS(list)))
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`)); err != nil || v != "" {
		t.Fatalf("scripts can read cookies: %q %v", v, err)
	}
	var cookie *network.Cookie
	run(t, ctx, "read the cookie", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{})
		for _, c := range res.Cookies {
			if c.Name == ui.SessionCookie {
				cookie = c
			}
		}
		return err
	}))
	if cookie == nil || !cookie.HTTPOnly || cookie.SameSite != network.CookieSameSiteStrict || cookie.Path != "/ui/" || cookie.Session {
		t.Fatalf("session cookie in the browser: %+v", cookie)
	}
	screenshot(t, ctx, shots, "signed-in.png")

	// Sign out: back to the sign-in page, and the dashboard is closed again.
	run(t, ctx, "sign out", chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("login-key")))
	run(t, ctx, "open the dashboard after signing out", chromedp.Navigate(f.srv.URL+"/ui/"), chromedp.WaitVisible(chromedp.ID("login-key")))

	// An operator signs in; revoking the key while the list polls sends
	// the page back to sign-in by itself.
	run(t, ctx, "sign in as operator", chromedp.SendKeys(chromedp.ID("login-key"), f.createKey("night-shift", auth.ScopeOperate)),
		chromedp.Click(chromedp.ID("login-submit")), chromedp.WaitVisible(chromedp.CSS(list)))
	if s := text(t, ctx, "#signed-in-as"); !strings.Contains(s, "night-shift") || !strings.Contains(s, "operate") {
		t.Fatalf("the top bar says %q", s)
	}
	if _, err := f.auth.RevokeKey(context.Background(), "night-shift"); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "be sent to sign in by the polling table", chromedp.WaitVisible(chromedp.ID("login-key")))
}
