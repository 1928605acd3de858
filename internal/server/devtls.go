package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// HTTPS for local development (serve --dev only): Auth0's SDKs and
// deploy-cli build https://<domain> into every call, so a plain-HTTP
// server is unreachable for them. --dev generates a local certificate
// authority into the data directory on first start and, from it, a
// certificate for 127.0.0.1, ::1 and localhost; Node trusts it through
// NODE_EXTRA_CA_CERTS, curl through --cacert. Nothing is added to any
// system trust store, and the CA is name-constrained to loopback
// addresses and localhost, so even a copied CA key cannot vouch for
// another site.

// DevTLSDir is the directory of the generated CA and certificate inside
// the data directory.
const DevTLSDir = "dev-tls"

const (
	devCAFile      = "ca.pem"
	devCAKeyFile   = "ca-key.pem"
	devCertFile    = "cert.pem"
	devCertKeyFile = "cert-key.pem"
	// devCALifetime is long: trusting a new CA means changing every
	// NODE_EXTRA_CA_CERTS that names it.
	devCALifetime = 10 * 365 * 24 * time.Hour
	// devCertLifetime stays under the 398 days browsers accept; the
	// certificate is reissued from the same CA when less than
	// devCertRenewBefore remains.
	devCertLifetime    = 397 * 24 * time.Hour
	devCertRenewBefore = 30 * 24 * time.Hour
)

// DevTLS returns the TLS configuration of the --dev HTTPS listener and the
// path of the CA certificate to trust, creating the CA and the certificate
// in dataDir/dev-tls when missing, and reissuing the certificate when it
// is about to expire or was not issued by the CA there.
func DevTLS(dataDir string, now time.Time) (*tls.Config, string, error) {
	dir := filepath.Join(dataDir, DevTLSDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("dev TLS: %w", err)
	}
	caPath := filepath.Join(dir, devCAFile)
	ca, caKey, err := loadPair(caPath, filepath.Join(dir, devCAKeyFile))
	if err != nil {
		if ca, caKey, err = newDevCA(dir, now); err != nil {
			return nil, "", err
		}
	}
	certPath, keyPath := filepath.Join(dir, devCertFile), filepath.Join(dir, devCertKeyFile)
	cert, _, err := loadPair(certPath, keyPath)
	if err != nil || cert.CheckSignatureFrom(ca) != nil || now.Add(devCertRenewBefore).After(cert.NotAfter) {
		if err := newDevCert(certPath, keyPath, ca, caKey, now); err != nil {
			return nil, "", err
		}
	}
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, "", fmt.Errorf("dev TLS: %w", err)
	}
	abs, err := filepath.Abs(caPath)
	if err != nil {
		abs = caPath
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, abs, nil
}

var devHosts = []string{"localhost"}

func devIPs() []net.IP { return []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")} }

func newDevCA(dir string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	_, loop4, _ := net.ParseCIDR("127.0.0.0/8")
	_, loop6, _ := net.ParseCIDR("::1/128")
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "tokenhook --dev local CA", Organization: []string{"tokenhook (development only)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(devCALifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		// Loopback and localhost only, whoever holds the key.
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         devHosts,
		PermittedIPRanges:           []*net.IPNet{loop4, loop6},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("dev TLS: CA: %w", err)
	}
	if err := writePair(filepath.Join(dir, devCAFile), filepath.Join(dir, devCAKeyFile), der, key); err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(der)
	return ca, key, err
}

func newDevCert(certPath, keyPath string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(devCertLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     devHosts,
		IPAddresses:  devIPs(),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("dev TLS: certificate: %w", err)
	}
	return writePair(certPath, keyPath, der, key)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return n
}

// writePair writes the certificate (0644: it is what clients trust) and
// the key (0600), each whole or not at all.
func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return writeAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("dev TLS: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("dev TLS: %w", err)
	}
	return nil
}

// loadPair reads a PEM certificate and its ECDSA key.
func loadPair(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	cblock, _ := pem.Decode(cb)
	kblock, _ := pem.Decode(kb)
	if cblock == nil || kblock == nil {
		return nil, nil, errors.New("dev TLS: not PEM")
	}
	cert, err := x509.ParseCertificate(cblock.Bytes)
	if err != nil {
		return nil, nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(kblock.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, errors.New("dev TLS: key does not match the certificate")
	}
	return cert, key, nil
}
