package hostgo

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// plugportCLI is the plugport CLI that serves plugins (`plugport serve`, docs/remote.md):
// $PLUGPORT_CLI, else target/debug/plugport beside $PLUGPORT_EXAMPLES (both built by
// scripts/build-examples.sh), with plugport-runner beside it.
func plugportCLI(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PLUGPORT_CLI"); p != "" {
		return p
	}
	dir := os.Getenv("PLUGPORT_EXAMPLES")
	if dir == "" {
		dir = "../../../target/examples"
	}
	p := filepath.Join(dir, "..", "debug", "plugport")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s missing: run scripts/build-examples.sh with PROFILE=dev, or set PLUGPORT_CLI (%v)", p, err)
	}
	return p
}

// pki is a throwaway certificate authority with a server certificate for 127.0.0.1 and a
// client certificate, as PEM files in dir (ECDSA P-256; keys in PKCS #8).
type pki struct{ ca, serverCert, serverKey, clientCert, clientKey string }

func newPKI(t *testing.T, dir string) pki {
	t.Helper()
	write := func(name, kind string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	caKey := key()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "typecov Go CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(serial int64, name string, usage x509.ExtKeyUsage, ips []net.IP) (string, string) {
		k := key()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: ips, DNSNames: []string{name},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return write(name+".pem", "CERTIFICATE", der), write(name+".key", "PRIVATE KEY", kder)
	}
	var p pki
	p.ca = write("ca.pem", "CERTIFICATE", caDER)
	p.serverCert, p.serverKey = leaf(2, "server", x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	p.clientCert, p.clientKey = leaf(3, "host", x509.ExtKeyUsageClientAuth, nil)
	return p
}

// lockedBuffer is a bytes.Buffer that a child's stderr copier and the test may use at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serve starts `plugport serve plugin --listen 127.0.0.1:0` with mutual TLS and returns
// the grpcs:// URL it printed; the server is killed when the test ends.
func serve(t *testing.T, cli, plugin string, p pki) string {
	t.Helper()
	cmd := exec.Command(cli, "serve", plugin, "--listen", "127.0.0.1:0",
		"--tls-cert", p.serverCert, "--tls-key", p.serverKey, "--client-ca", p.ca)
	// The server's stderr (the plugins' own panic messages among it: boom is tested) is
	// shown only when the test fails.
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s serve: %v", cli, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("plugport serve %s, stderr:\n%s", plugin, stderr.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		for sc.Scan() {
		}
	}()
	select {
	case line, ok := <-lines:
		fields := strings.Fields(line)
		if !ok || len(fields) == 0 || !strings.HasPrefix(fields[len(fields)-1], "grpcs://") {
			t.Fatalf("plugport serve %s printed %q, not its grpcs:// address", plugin, line)
		}
		return fields[len(fields)-1]
	case <-time.After(30 * time.Second):
		t.Fatalf("plugport serve %s printed no address in 30 s", plugin)
	}
	return ""
}

// TestEverythingAgainOverGrpcs serves each typecov plugin (C, Rust, C++ and Go) with
// `plugport serve` over grpcs:// with mutual TLS, and runs this package's tests again in
// a child test process that opens those URLs instead of the files (PLUGPORT_TYPECOV_URLS):
// the generated Go API is the same, and every check above must pass unchanged over the
// network (issue 9, docs/remote.md).
func TestEverythingAgainOverGrpcs(t *testing.T) {
	if os.Getenv("PLUGPORT_TYPECOV_URLS") != "" || os.Getenv("PLUGPORT_ISOLATION") != "" {
		t.Skip("already a rerun")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	files := plugins(t)
	cli := plugportCLI(t)
	p := newPKI(t, t.TempDir())
	var urls []string
	for _, f := range files {
		urls = append(urls, serve(t, cli, f, p))
	}
	cmd := exec.Command(os.Args[0], "-test.count=1", "-test.v",
		"-test.run", "^(TestEveryTypeRoundTrips|TestPanicsBecomeErrorsAndThePluginGoesOn|TestCounterResource|TestInvalidArgumentsAreRefused|TestEightGoroutinesAtOnce)$")
	cmd.Env = append(os.Environ(),
		"PLUGPORT_TYPECOV_URLS="+strings.Join(urls, ","),
		"PLUGPORT_TLS_CA="+p.ca, "PLUGPORT_TLS_CERT="+p.clientCert, "PLUGPORT_TLS_KEY="+p.clientKey)
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("the run over grpcs:// failed (%v):\n%s", err, text)
	}
	for i, u := range urls {
		for _, test := range []string{"TestEveryTypeRoundTrips", "TestInvalidArgumentsAreRefused", "TestEightGoroutinesAtOnce"} {
			name := fmt.Sprintf("--- PASS: %s/%s", test, filepath.Base(u))
			if !strings.Contains(text, name) {
				t.Fatalf("the run over grpcs:// did not pass %s (%s):\n%s", name, files[i], text)
			}
		}
	}
	if strings.Contains(text, "--- FAIL") || strings.Contains(text, "--- SKIP") {
		t.Fatalf("the run over grpcs:// failed or skipped a test:\n%s", text)
	}
}
