package backendapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/redirecturl"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
)

// TestRedirectURLs: clerk-sdk-go registers, reads, lists and deletes
// redirect URLs; bad and dangerous URLs are refused with 422, duplicates
// (also concurrent ones) leave one; a social sign-in may then go back to
// a registered custom scheme (and under it), never to an unregistered
// one or to javascript:.
func TestRedirectURLs(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		e.app.Frontend.SignInLimit, e.app.Frontend.SignUpLimit = nil, nil
		ctx := context.Background()
		rc := redirecturl.NewClient(e.sdkConfig())
		const strategy = "oauth_custom_acme"
		m := e.startOIDC(strategy, true)
		signIn := func(redirect string) url.Values {
			return url.Values{"strategy": {strategy}, "redirect_url": {redirect}}
		}
		const native = "myapp://oauth-callback"

		// Not registered yet: refused.
		e.browser().fails("POST", "/v1/client/sign_ins", signIn(native), 422, "redirect_url_domain_mismatch")

		ru, err := rc.Create(ctx, &redirecturl.CreateParams{URL: clerk.String(native)})
		if err != nil || ru.Object != "redirect_url" || !strings.HasPrefix(ru.ID, "ru_") || ru.URL != native || ru.CreatedAt == 0 {
			t.Fatalf("create: %+v %v", ru, err)
		}
		web, err := rc.Create(ctx, &redirecturl.CreateParams{URL: clerk.String("https://other.example/cb")})
		if err != nil {
			t.Fatal(err)
		}
		got, err := rc.Get(ctx, ru.ID)
		if err != nil || got.URL != native || got.ID != ru.ID {
			t.Fatalf("get: %+v %v", got, err)
		}
		list, err := rc.List(ctx, &redirecturl.ListParams{})
		if err != nil || list.TotalCount != 2 || len(list.RedirectURLs) != 2 || list.RedirectURLs[0].ID != web.ID {
			t.Fatalf("list: %+v %v", list, err)
		}
		// Without paginated=true Clerk answers a bare array.
		st, body := e.do("GET", "/v1/redirect_urls", nil)
		var bare []map[string]any
		if st != 200 || json.Unmarshal(body, &bare) != nil || len(bare) != 2 || bare[1]["object"] != "redirect_url" {
			t.Fatalf("bare list: %d %s", st, body)
		}

		// Registered: the sign-in starts, and the provider's callback
		// lands on the native app.
		m.QueueUser(&mockoidc.MockUser{Subject: "sub-native", Email: "native@acme.test", EmailVerified: true})
		b := e.browser()
		out := b.ok("POST", "/v1/client/sign_ins", signIn(native))
		start, _ := get(out, "response", "first_factor_verification", "external_verification_redirect_url").(string)
		res, _ := b.socialRedirect(start)
		if res.StatusCode != 303 || res.Header.Get("Location") != native {
			t.Fatalf("callback: %d %v", res.StatusCode, res.Header)
		}
		// Under the registered URL too; not a look-alike, another scheme
		// or an unregistered path of a registered web URL.
		e.browser().ok("POST", "/v1/client/sign_ins", signIn(native+"/done?x=1"))
		e.browser().ok("POST", "/v1/client/sign_ins", signIn("https://other.example/cb/next"))
		for _, bad := range []string{"myapp://oauth-callbackx", "otherapp://oauth-callback", "myapp://evil/oauth-callback",
			"https://other.example/cbx", "https://other.example/", "https://other.example.evil/cb", "https://user@other.example/cb",
			"javascript:alert(1)", "JavaScript://other.example/cb", " data:text/html,hi"} {
			e.browser().fails("POST", "/v1/client/sign_ins", signIn(bad), 422, "redirect_url_domain_mismatch")
		}

		// Bad input, and dangerous schemes even when someone registers them.
		_, err = rc.Create(ctx, &redirecturl.CreateParams{})
		apiErr(t, err, 422, "form_param_missing")
		for _, bad := range []string{"javascript:alert(1)", "JAVASCRIPT://x/%0aalert(1)", "data:text/html,<script>", "vbscript:msgbox",
			"file:///etc/passwd", "\tjava\nscript:alert(1)", "not a url", "/relative/path", "https://", "https://u:p@x.example/"} {
			_, err = rc.Create(ctx, &redirecturl.CreateParams{URL: clerk.String(bad)})
			apiErr(t, err, 422, "form_param_format_invalid")
		}
		e.browser().fails("POST", "/v1/client/sign_ins", signIn("javascript:alert(1)"), 422, "redirect_url_domain_mismatch")
		if st, body := e.do("POST", "/v1/redirect_urls", `{"url": 5}`); st < 400 || st >= 500 {
			t.Fatalf("url as a number: %d %s", st, body)
		}
		_, err = rc.Create(ctx, &redirecturl.CreateParams{URL: clerk.String(native)})
		apiErr(t, err, 422, "duplicate_record")

		// Concurrent creates of one URL: one winner.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := rc.Create(ctx, &redirecturl.CreateParams{URL: clerk.String("com.example.app://race")}); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else {
					apiErr(t, err, 422, "duplicate_record")
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("concurrent duplicates: %d winners", wins)
		}

		// The hosted sign-in page sends a finished sign-in to the
		// registered app (with the session token), and an unregistered
		// or javascript: target to the profile page instead.
		if _, err := e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"hosted@example.com"}, Password: ptr(pw)}); err != nil {
			t.Fatal(err)
		}
		for target, want := range map[string]string{native + "/done": native + "/done?", "otherapp://x": "/user",
			"javascript:alert(1)": "/user"} {
			st, _, h := e.visitor().post("/sign-in", url.Values{"identifier": {"hosted@example.com"}, "password": {pw}, "redirect_url": {target}})
			loc := h.Get("Location")
			if st != 303 || !strings.HasPrefix(loc, want) || (want != "/user" && !strings.Contains(loc, "__session=")) {
				t.Fatalf("hosted sign-in to %s: %d %q", target, st, loc)
			}
		}

		// Deleted: refused again at once (the cache is cleared), and gone.
		del, err := rc.Delete(ctx, ru.ID)
		if err != nil || !del.Deleted || del.ID != ru.ID || del.Object != "redirect_url" {
			t.Fatalf("delete: %+v %v", del, err)
		}
		e.browser().fails("POST", "/v1/client/sign_ins", signIn(native), 422, "redirect_url_domain_mismatch")
		_, err = rc.Get(ctx, ru.ID)
		apiErr(t, err, 404, "resource_not_found")
		_, err = rc.Delete(ctx, ru.ID)
		apiErr(t, err, 404, "resource_not_found")
		if st, _ := e.do("GET", "/v1/redirect_urls?limit=0", nil); st != 400 && st != 422 {
			t.Fatalf("limit=0: %d", st)
		}
	})
}

// TestRedirectsThroughNodeSDK runs testdata/node/redirects.mjs: redirect
// URLs, domains and proxy checks through @clerk/backend (skipped, as
// TestThroughNodeSDK, when node or the SDK is missing and
// CONCIERGE_TEST_NODE is unset).
func TestRedirectsThroughNodeSDK(t *testing.T) {
	dir := filepath.Join("testdata", "node")
	_, statErr := os.Stat(filepath.Join(dir, "node_modules", "@clerk", "backend"))
	_, nodeErr := exec.LookPath("node")
	if statErr != nil || nodeErr != nil {
		if os.Getenv("CONCIERGE_TEST_NODE") != "" {
			t.Fatalf("CONCIERGE_TEST_NODE is set but node or @clerk/backend is missing (run npm install in %s)", dir)
		}
		t.Skip("node or @clerk/backend not installed (npm install in " + dir + ")")
	}
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withSettings(map[string]string{instance.WebhookAllowPrivate: "true"}))
		cmd := exec.Command("node", "redirects.mjs", e.url, testKey)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "ok") {
			t.Fatalf("node SDK check redirects.mjs: %v\n%s", err, out)
		}
	})
}
