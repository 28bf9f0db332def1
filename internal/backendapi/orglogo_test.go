package backendapi_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
)

func testImage(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, 0, color.RGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	var err error
	if format == "jpeg" {
		err = jpeg.Encode(&buf, img, nil)
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bombPNG is a PNG whose header claims 100000×100000 pixels.
func bombPNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 6
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// upload sends a multipart upload; header adds headers (Authorization,
// Origin), client carries cookies.
func upload(t *testing.T, client *http.Client, method, u string, data []byte, fields map[string]string, header map[string]string) (int, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "logo.bin")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(method, u, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

func fetchImage(t *testing.T, u string) (int, image.Image) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return res.StatusCode, nil
	}
	if res.Header.Get("Content-Type") != "image/png" || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("image headers: %v", res.Header)
	}
	img, err := png.Decode(res.Body)
	if err != nil {
		t.Fatalf("served image: %v", err)
	}
	return 200, img
}

// TestOrganizationLogo: a logo uploaded through either API is decoded
// and served re-encoded as PNG from Concierge; what is not an image, too
// big, or claims too many pixels is refused; a new logo or removing it
// deletes the old file; only an admin uploads from the Frontend API.
func TestOrganizationLogo(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withOrigins(appOrigin))
		ctx := context.Background()
		if err := e.app.Settings.Set(ctx, instance.Organizations, "true"); err != nil {
			t.Fatal(err)
		}
		orgs, _ := e.orgClients()
		ada := e.userWithPassword("ada@example.com")
		org, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme"), CreatedBy: &ada})
		if err != nil || org.HasImage || org.ImageURL == nil || !strings.Contains(*org.ImageURL, "avatar_placeholder") {
			t.Fatalf("before: %v %+v", err, org)
		}
		secret := map[string]string{"Authorization": "Bearer " + testKey}
		logoURL := e.url + "/v1/organizations/" + org.ID + "/logo"

		st, out := upload(t, http.DefaultClient, "PUT", logoURL, testImage(t, "jpeg", 40, 20), map[string]string{"uploader_user_id": ada}, secret)
		first, _ := out["image_url"].(string)
		if st != 200 || out["has_image"] != true || !strings.HasPrefix(first, e.url+"/images/") {
			t.Fatalf("upload: %d %v", st, out)
		}
		if st, img := fetchImage(t, first); st != 200 || img.Bounds().Dx() != 40 || img.Bounds().Dy() != 20 {
			t.Fatalf("served logo: %d", st)
		}
		for name, bad := range map[string][]byte{
			"text": []byte("just text"), "svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
			"bomb": bombPNG(),
		} {
			if st, out := upload(t, http.DefaultClient, "PUT", logoURL, bad, nil, secret); st != 422 || errCode(out) != "form_param_format_invalid" {
				t.Fatalf("%s: %d %v", name, st, out)
			}
		}
		if st, out := upload(t, http.DefaultClient, "PUT", logoURL, make([]byte, 11<<20), nil, secret); st != 413 {
			t.Fatalf("too large: %d %v", st, out)
		}
		if st, out := upload(t, http.DefaultClient, "PUT", logoURL, testImage(t, "png", 8, 8), map[string]string{"uploader_user_id": "user_nope"}, secret); st != 422 {
			t.Fatalf("unknown uploader: %d %v", st, out)
		}
		if st, out := upload(t, http.DefaultClient, "PUT", e.url+"/v1/organizations/org_nope/logo", testImage(t, "png", 8, 8), nil, secret); st != 404 {
			t.Fatalf("unknown organization: %d %v", st, out)
		}

		// From the Frontend API, by an admin, with the client's cookie.
		b := e.browser()
		b.signIn("ada@example.com", pw)
		origin := map[string]string{"Origin": appOrigin}
		st, out = upload(t, b.client, "POST", logoURL+"?_method=PUT", testImage(t, "png", 16, 16), nil, origin)
		second, _ := get(out, "response", "image_url").(string)
		if st != 200 || second == first || get(out, "response", "has_image") != true {
			t.Fatalf("frontend upload: %d %v", st, out)
		}
		if st, _ := fetchImage(t, first); st != 404 {
			t.Fatalf("the replaced logo is still served: %d", st)
		}
		e.userWithPassword("bob@example.com")
		bob := e.browser()
		bob.signIn("bob@example.com", pw)
		if st, out := upload(t, bob.client, "POST", logoURL+"?_method=PUT", testImage(t, "png", 16, 16), nil, origin); st != 404 ||
			errCode(out) != "organization_not_found_or_unauthorized" {
			t.Fatalf("a stranger's upload: %d %v", st, out)
		}
		del := b.ok("DELETE", "/v1/organizations/"+org.ID+"/logo", url.Values{})
		if get(del, "response", "has_image") != false {
			t.Fatalf("remove: %v", del)
		}
		if st, _ := fetchImage(t, second); st != 404 {
			t.Fatalf("the removed logo is still served: %d", st)
		}
		// Deleting the organization deletes its logo.
		st, out = upload(t, http.DefaultClient, "PUT", logoURL, testImage(t, "png", 8, 8), nil, secret)
		third, _ := out["image_url"].(string)
		if st != 200 {
			t.Fatalf("upload before delete: %d %v", st, out)
		}
		if _, err := orgs.Delete(ctx, org.ID); err != nil {
			t.Fatal(err)
		}
		if st, _ := fetchImage(t, third); st != 404 {
			t.Fatalf("a deleted organization's logo is still served: %d", st)
		}
	})
}
