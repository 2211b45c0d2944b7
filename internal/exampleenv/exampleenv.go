// Package exampleenv connects vem's examples to an Enterprise Manager: the
// one named by VEM_URL (with VEM_USERNAME, VEM_PASSWORD and optionally
// VEM_CA_FILE or VEM_INSECURE=1), or else vemtest, the in-process fake
// Enterprise Manager, so that every example runs on a machine with only Go.
package exampleenv

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// Env is a connected client and what it talks to.
type Env struct {
	Client *vem.Client
	// Fake is the in-process server when VEM_URL is not set, else nil.
	Fake *vemtest.Server
}

// Close closes the client (logging out) and stops the fake server, if any.
func (e *Env) Close() {
	_ = e.Client.Close()
	if e.Fake != nil {
		e.Fake.Close()
	}
}

// Connect returns a client for VEM_URL, or for a fresh vemtest server
// started with serverOpts; in that case it says so in one line on stderr.
// opts are added to the client's options.
func Connect(stderr io.Writer, serverOpts []vemtest.Option, opts ...vem.Option) (*Env, error) {
	url := os.Getenv("VEM_URL")
	if url == "" {
		srv := vemtest.NewServer(serverOpts...)
		fmt.Fprintf(stderr, "VEM_URL is not set: using vemtest, an in-process fake Enterprise Manager at %s\n", srv.URL)
		c, err := vem.New(srv.URL, append([]vem.Option{vem.WithHTTPClient(srv.Client()), vem.WithCredentials(srv.Username, srv.Password)}, opts...)...)
		if err != nil {
			srv.Close()
			return nil, err
		}
		return &Env{Client: c, Fake: srv}, nil
	}
	base := []vem.Option{vem.WithCredentials(os.Getenv("VEM_USERNAME"), os.Getenv("VEM_PASSWORD"))}
	switch {
	case os.Getenv("VEM_CA_FILE") != "":
		pem, err := os.ReadFile(os.Getenv("VEM_CA_FILE"))
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("VEM_CA_FILE holds no PEM certificate")
		}
		base = append(base, vem.WithRootCAs(pool))
	case isTrue(os.Getenv("VEM_INSECURE")):
		base = append(base, vem.WithInsecureSkipVerify())
	}
	c, err := vem.New(url, append(base, opts...)...)
	if err != nil {
		return nil, err
	}
	return &Env{Client: c}, nil
}

func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
