package broker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
)

// selfSigned writes a certificate for 127.0.0.1 and its key to dir and
// returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "broker test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestBrokerTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	b := startBroker(t, Config{Engine: newEngine(t), TLSCertFile: certFile, TLSKeyFile: keyFile, Now: newFakeClock(t0).Now})
	o := paho.NewClientOptions().AddBroker("tls://" + b.Addr()).SetClientID("dev-1").SetUsername("dev-1").SetPassword("pw-1").
		SetAutoReconnect(false).SetProtocolVersion(4).SetTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	c := paho.NewClient(o)
	wait(t, c.Connect())
	wait(t, c.Publish(ownTopic, 1, false, "over TLS"))
	c.Disconnect(250)
	eventually(t, b, "the session over TLS", func(s Stats) bool {
		return s.Inputs.Connects == 1 && s.Inputs.MessagesSent == 1 && s.Inputs.Disconnects == 1
	})

	// A plain-TCP client does not get in.
	_, err := dial(t, b.Addr(), "dev-2", "dev-2", "pw-2")
	require.Error(t, err)
}
