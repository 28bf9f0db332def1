package nextjs_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/apptest"
	"github.com/conciergehq/concierge/internal/browsertest"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/sdk"
)

const liveSecret = "sk_live_nextjsnextjsnextjsnextjsnextjs"

// TestProductionKeys: a pk_live_ key over https on two host names of one
// registrable domain, as deployed: Concierge at clerk.example.test, the
// app behind a TLS reverse proxy at app.example.test (Chromium maps both
// to 127.0.0.1). Concierge sets __client_uat on Domain=example.test and
// hands the handshake payload over in a cookie there.
func TestProductionKeys(t *testing.T) {
	t.Parallel()
	chrome, bundleDir := requirements(t)
	ca := newTestCA(t, "clerk.example.test", "app.example.test")
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		t.Parallel()
		// The app's front listens first: its origin is an allowed one.
		front, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, frontPort, _ := net.SplitHostPort(front.Addr().String())
		appURL := "https://app.example.test:" + frontPort
		rec := newRecorder()
		srv := apptest.Start(t, dbtest.Open(t, engine), apptest.Config{Wrap: rec.Wrap, TLS: ca.server, Host: "clerk.example.test",
			Options: app.Options{Production: true, CookieDomain: "example.test", SecretKey: liveSecret, BundleDir: bundleDir,
				AllowedOrigins: []string{appURL}, TokenTTL: tokenTTL}})

		nextPort := browsertest.FreePort(t)
		startNextOn(t, nextPort,
			// pk_live_ + base64("clerk.example.test:<port>$"): clerk-js
			// and the bundles come from there, no other setting needed.
			"NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY="+sdk.PublishableKeyFor(srv.URL, true),
			"CLERK_SECRET_KEY="+liveSecret,
			// The app's server does not resolve clerk.example.test: it
			// calls the Backend API by address, over TLS, trusting the
			// test's CA through Node's NODE_EXTRA_CA_CERTS (the
			// certificate names 127.0.0.1 too).
			"CLERK_API_URL="+srv.Loopback,
			"NODE_EXTRA_CA_CERTS="+ca.pemFile,
			"NEXT_PUBLIC_CLERK_SIGN_IN_URL=/sign-in",
			"NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED=1")

		// A TLS front for next start, as a load balancer would be: it
		// keeps Host and says X-Forwarded-Proto: https.
		target, _ := url.Parse("http://127.0.0.1:" + nextPort)
		proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
			r.SetXForwarded()
		}}
		fs := httptest.NewUnstartedServer(proxy)
		fs.Listener.Close()
		fs.Listener = front
		fs.TLS = ca.server
		fs.StartTLS()
		t.Cleanup(fs.Close)

		q := &quickStart{srv: srv, rec: rec, app: appURL, prod: true}
		q.browser = newBrowser(t, chrome, q.diag,
			chromedp.Flag("host-resolver-rules", "MAP *.example.test 127.0.0.1"),
			// Trust the test's leaf key only (honoured with a user data
			// directory, which browsertest.Launch sets).
			chromedp.Flag("ignore-certificate-errors-spki-list", ca.spki))
		q.run()
	})
}

// testCA is a throw-away CA and one server certificate it signed.
type testCA struct {
	server  *tls.Config
	pemFile string // the CA certificate, PEM
	spki    string // base64 SHA-256 of the server key's SubjectPublicKeyInfo
}

// newTestCA makes a CA and a server certificate for the names and
// 127.0.0.1.
func newTestCA(t *testing.T, names ...string) *testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Concierge e2e test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: names,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)

	pemFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key, Leaf: leaf}
	return &testCA{server: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}},
		pemFile: pemFile, spki: base64.StdEncoding.EncodeToString(sum[:])}
}
