package backendapi_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// memFile is an in-memory upload, as clerk-sdk-go takes a multipart.File.
type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

func fileOf(b []byte) memFile { return memFile{bytes.NewReader(b)} }

// TestProfileImage: a profile image uploaded through clerk-sdk-go or by
// the user (the Frontend API, as UserProfile sends it) is served
// re-encoded; hostile files (not an image, an SVG with a script, a
// decompression bomb, a PNG/HTML polyglot's HTML, 11 MB) are refused; a
// new image, removing it, or deleting the user deletes the old file.
func TestProfileImage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		adaID := e.userWithPassword("ada@example.com")

		u, err := e.users.UpdateProfileImage(ctx, adaID, &clerkuser.UpdateProfileImageParams{File: fileOf(testImage(t, "jpeg", 30, 10))})
		if err != nil || !u.HasImage || u.ImageURL == nil || !strings.HasPrefix(*u.ImageURL, e.url+"/images/") {
			t.Fatalf("upload: %+v %v", u, err)
		}
		first := *u.ImageURL
		if st, img := fetchImage(t, first); st != 200 || img.Bounds().Dx() != 30 {
			t.Fatalf("served: %d", st)
		}
		secret := map[string]string{"Authorization": "Bearer " + testKey}
		imgURL := e.url + "/v1/users/" + adaID + "/profile_image"
		polyglot := append(testImage(t, "gif", 4, 4), []byte("<html><script>alert(1)</script></html>")...)
		for name, bad := range map[string][]byte{
			"text": []byte("just text"), "svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
			"bomb": bombPNG(),
		} {
			if st, out := upload(t, http.DefaultClient, "POST", imgURL, bad, nil, secret); st != 422 || errCode(out) != "form_param_format_invalid" {
				t.Fatalf("%s: %d %v", name, st, out)
			}
		}
		// A polyglot decodes as its image; what is served is that image
		// re-encoded, without the trailing HTML.
		st, out := upload(t, http.DefaultClient, "POST", imgURL, polyglot, nil, secret)
		second, _ := out["image_url"].(string)
		if st != 200 || second == first {
			t.Fatalf("polyglot: %d %v", st, out)
		}
		if res, err := http.Get(second); err != nil || res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("polyglot served as %v %v", res.Header, err)
		} else {
			var buf bytes.Buffer
			buf.ReadFrom(res.Body)
			res.Body.Close()
			if bytes.Contains(buf.Bytes(), []byte("<script>")) {
				t.Fatal("the polyglot's HTML is served back")
			}
		}
		if st, _ := fetchImage(t, first); st != 404 {
			t.Fatalf("the replaced image is still served: %d", st)
		}
		if st, out := upload(t, http.DefaultClient, "POST", imgURL, make([]byte, 11<<20), nil, secret); st != 413 {
			t.Fatalf("too large: %d %v", st, out)
		}
		if st, _ := upload(t, http.DefaultClient, "POST", e.url+"/v1/users/user_nope/profile_image", testImage(t, "png", 8, 8), nil, secret); st != 404 {
			t.Fatalf("unknown user: %d", st)
		}

		// The user's own upload, as clerk-js sends it.
		b := e.browser()
		b.signIn("ada@example.com", pw)
		st, out = upload(t, b.client, "POST", e.url+"/v1/me/profile_image", testImage(t, "png", 12, 12), nil, map[string]string{"Origin": appOrigin})
		third, _ := get(out, "response", "public_url").(string)
		if st != 200 || get(out, "response", "object") != "image" || !strings.HasPrefix(third, e.url+"/images/") {
			t.Fatalf("frontend upload: %d %v", st, out)
		}
		if st, _ := fetchImage(t, second); st != 404 {
			t.Fatalf("replaced by the user, still served: %d", st)
		}
		b.ok("DELETE", "/v1/me/profile_image", nil)
		if u, _ := e.users.Get(ctx, adaID); u.HasImage || !strings.Contains(*u.ImageURL, "avatar_placeholder") {
			t.Fatalf("after removing: %+v", u)
		}
		if st, _ := fetchImage(t, third); st != 404 {
			t.Fatalf("removed, still served: %d", st)
		}
		if _, err := e.users.DeleteProfileImage(ctx, adaID); err == nil {
			t.Fatal("removing no image")
		} else {
			apiErr(t, err, 400, "image_not_set")
		}
		// Deleting the user deletes the image.
		u, err = e.users.UpdateProfileImage(ctx, adaID, &clerkuser.UpdateProfileImageParams{File: fileOf(testImage(t, "png", 8, 8))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.users.Delete(ctx, adaID); err != nil {
			t.Fatal(err)
		}
		if st, _ := fetchImage(t, *u.ImageURL); st != 404 {
			t.Fatalf("a deleted user's image is still served: %d", st)
		}
	})
}
