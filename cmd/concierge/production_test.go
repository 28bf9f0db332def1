package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "clerk.example.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames: []string{"clerk.example.test"}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestBinaryProductionTLS: a production instance serving HTTPS itself
// with CONCIERGE_TLS_CERT/KEY: it answers over TLS only, makes a live
// secret key, and logs its pk_live_ publishable key.
func TestBinaryProductionTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir, bin := build(t)
	certFile, keyFile, pool := selfSigned(t, dir)
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "CONCIERGE_ADDR="+addr, "CONCIERGE_DATABASE="+filepath.Join(dir, "p.db"),
		"CONCIERGE_INSTANCE_TYPE=production", "CONCIERGE_PUBLIC_URL=https://clerk.example.test",
		"CONCIERGE_TLS_CERT="+certFile, "CONCIERGE_TLS_KEY="+keyFile, "CONCIERGE_SECRET_KEY=")
	out, logs := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := client.Get("https://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 && res.TLS != nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no HTTPS health check: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Fatalf("plain HTTP answered 200: %s", body)
		}
	}
	if !strings.Contains(out.String(), "sk_live_") || !strings.Contains(logs.String(), "pk_live_Y2xlcmsuZXhhbXBsZS50ZXN0JA") ||
		!strings.Contains(logs.String(), "instance=production") {
		t.Fatalf("keys: stdout %q\nlog %s", out.String(), logs.String())
	}
}

// TestBundlesInstall: `concierge bundles install` fetches the pinned
// bundles with npm into the bundle folder, where the server finds them.
// It needs npm and the registry, so it runs where the Node suites do.
func TestBundlesInstall(t *testing.T) {
	if os.Getenv("CONCIERGE_TEST_NODE") == "" {
		t.Skip("needs npm and the registry: set CONCIERGE_TEST_NODE")
	}
	dir, bin := build(t)
	bundles := filepath.Join(dir, "bundles")
	cmd := exec.Command(bin, "bundles", "install", "-bundle-dir", bundles)
	cmd.Env = append(os.Environ(), "CONCIERGE_DATABASE="+filepath.Join(dir, "b.db"))
	outp, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bundles install: %v\n%s", err, outp)
	}
	for _, f := range []string{"clerk-clerk-js-6.40.0/dist/clerk.browser.js", "clerk-ui-1.36.0/dist/ui.browser.js"} {
		if st, err := os.Stat(filepath.Join(bundles, f)); err != nil || st.Size() < 1000 {
			t.Fatalf("%s: %v", f, err)
		}
	}
}
