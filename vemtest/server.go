package vemtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vemkit/vem"
)

// Server is a running fake Enterprise Manager. Its methods are safe for
// concurrent use, also while requests are being served.
type Server struct {
	// URL is the server's base URL, "https://127.0.0.1:PORT" (or http://
	// with WithoutTLS), without the /api suffix.
	URL string
	// Username and Password are the credentials the server accepts.
	Username, Password string

	cfg       config
	ts        *httptest.Server
	render    *renderer
	users     map[string]user
	store     *store
	sessions  *sessionTable
	faults    faultState
	stats     statsCounter
	latency   atomic.Int64 // time.Duration added to every request
	closing   chan struct{}
	closeOnce sync.Once
}

// Stats counts what the server has seen since it started.
type Stats struct {
	Requests          int // every HTTP request received, whatever its outcome
	Logons            int // successful logons (201)
	FailedLogons      int // logons refused with 401
	Logouts           int // sessions deleted by their owner (204)
	Expirations       int // sessions ended by idle timeout or ExpireSessions, each counted once
	Unauthorized      int // requests refused with 401 for a missing, unknown or expired token
	Forbidden         int // requests refused with 403
	ConnectionsOpened int // connections accepted (http.StateNew)
	FaultsInjected    int // InjectedErrors + Resets + Delays
	InjectedErrors    int // error answers from FailNext, FailNextLogon or the fault plan
	Resets            int // connections reset by the fault plan
	Delays            int // requests delayed by the fault plan
	// Routes counts requests per route, keyed by method and pattern, for
	// example "GET /api/backupTaskSessions/{ID}" or "POST /api/sessionMngr/".
	// Requests that match no route are not in it.
	Routes map[string]int
}

type statsCounter struct {
	mu sync.Mutex
	s  Stats
}

func (c *statsCounter) update(f func(*Stats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.s)
}

func (c *statsCounter) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.s
	s.Routes = maps.Clone(c.s.Routes)
	if s.Routes == nil {
		s.Routes = map[string]int{}
	}
	return s
}

// NewServer starts a fake Enterprise Manager on a free loopback port with a
// fresh self-signed certificate (valid for 127.0.0.1, ::1, localhost and
// the hosts of WithAddr and WithHrefHost) and loads the seed task session
// plus the generated data set. The caller must Close it. NewServer panics
// when it cannot listen (only possible with WithAddr) or cannot create the
// certificate, as httptest does.
func NewServer(opts ...Option) *Server {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	s := &Server{
		Username: cfg.username,
		Password: cfg.password,
		cfg:      cfg,
		users:    maps.Clone(cfg.users),
		store:    newStore(),
		sessions: newSessionTable(cfg.idle),
		closing:  make(chan struct{}),
	}
	s.users[cfg.username] = user{password: cfg.password}

	ts := httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	if cfg.addr != "" {
		l, err := net.Listen("tcp", cfg.addr)
		if err != nil {
			ts.Listener.Close()
			panic(fmt.Sprintf("vemtest: cannot listen on %s: %v", cfg.addr, err))
		}
		ts.Listener.Close()
		ts.Listener = l
	}
	// TLS handshake failures of clients that do not trust the certificate
	// are expected in tests; keep them off stderr.
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.stats.update(func(s *Stats) { s.ConnectionsOpened++ })
		}
	}
	scheme := "http"
	if cfg.tls {
		cert, err := selfSignedCertificate(certHosts(cfg))
		if err != nil {
			ts.Listener.Close()
			panic(fmt.Sprintf("vemtest: cannot create a certificate: %v", err))
		}
		ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	// Everything the handlers read is set before the server starts.
	s.ts = ts
	s.URL = scheme + "://" + ts.Listener.Addr().String()
	base := s.URL
	if cfg.hrefHost != "" {
		base = scheme + "://" + cfg.hrefHost
	}
	s.render = &renderer{base: base, camel: cfg.style == JSONStyleEM13CamelCase}
	now := cfg.now
	if now.IsZero() {
		now = cfg.clock().UTC()
	}
	s.store.mu.Lock()
	loadDataset(s.store, now, cfg.dataset)
	s.store.mu.Unlock()
	if cfg.fleet != nil {
		s.loadFleet(now, *cfg.fleet)
	}

	if cfg.tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	// Many goroutines share one client in tests and benchmarks: keep enough
	// idle connections that they are reused rather than reopened.
	if tr, ok := ts.Client().Transport.(*http.Transport); ok {
		tr.MaxIdleConns = 128
		tr.MaxIdleConnsPerHost = 64
	}
	return s
}

// Client returns an HTTP client that trusts the server's certificate. It
// has no cookie jar, so the X-RestSvcSessionId cookie the logon sets is not
// sent back unless a test does so on purpose. Its idle connections are
// closed by Close. It keeps up to 64 idle connections, so that many
// goroutines sharing it reuse their connections.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// NewClient returns a vem client wired to the server: its URL, its
// credentials, and a CA pool that trusts its certificate (with WithoutTLS,
// permission to use plain HTTP). opts come after those and may override
// them, for example vem.WithFormat(vem.FormatJSON) or
// vem.WithCredentials for another account; vem.WithHTTPClient cannot be
// combined with the CA pool (use Client's transport instead). The caller
// closes the client.
func (s *Server) NewClient(opts ...vem.Option) (*vem.Client, error) {
	base := []vem.Option{vem.WithCredentials(s.Username, s.Password)}
	if pemBytes := s.CertificatePEM(); pemBytes != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pemBytes)
		base = append(base, vem.WithRootCAs(pool))
	} else {
		base = append(base, vem.WithAllowInsecureHTTP())
	}
	return vem.New(s.URL, append(base, opts...)...)
}

// CertificatePEM returns the server's self-signed certificate in PEM form,
// for a client's CA pool; nil with WithoutTLS.
func (s *Server) CertificatePEM() []byte {
	c := s.ts.Certificate()
	if c == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// Close shuts the server down: delayed requests stop waiting, open
// connections are closed, and Close returns when every handler has
// returned. Close may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.ts.Close()
	})
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ExpireSessions ends every current session, as if each had been idle too
// long: the next request with any of their tokens gets 401.
func (s *Server) ExpireSessions() {
	n := s.sessions.expireAll()
	s.stats.update(func(st *Stats) { st.Expirations += n })
}

// SetLatency adds d to every request from now on (0 removes it). The wait
// ends early when the request's context is done or the server closes.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// FailNext makes the next n requests to authenticated resource routes
// (everything except GET /api/ and the logon POST) fail with status and an
// EM Error body, before authentication. Calls queue up: FailNext(1, 500)
// then FailNext(2, 503) fails one request with 500, then two with 503.
// Failed requests are counted in Stats.InjectedErrors.
func (s *Server) FailNext(n, status int) { s.FailNextRetryAfter(n, status, 0) }

// FailNextRetryAfter is FailNext with a Retry-After header of retryAfter,
// in whole seconds rounded up (no header when retryAfter <= 0).
func (s *Server) FailNextRetryAfter(n, status int, retryAfter time.Duration) {
	s.faults.queue(false, queuedFailure{n: n, status: validStatus(status), retryAfter: retryAfter})
}

// FailNextLogon makes the next n logon POSTs fail with status and an EM
// Error body, before the credentials are checked.
func (s *Server) FailNextLogon(n, status int) {
	s.faults.queue(true, queuedFailure{n: n, status: validStatus(status)})
}

func validStatus(status int) int {
	if status < 100 || status > 999 {
		return http.StatusInternalServerError
	}
	return status
}

// SetFaults replaces the probabilistic fault plan (see Faults) and reseeds
// its generator; SetFaults(Faults{}) turns it off. Queued FailNext
// failures are not affected and take precedence.
func (s *Server) SetFaults(f Faults) { s.faults.setPlan(f) }

// AddBackupTaskSession stores ts (replacing a task session with the same
// ID) and, when they are not stored yet, synthesizes the backup server, job
// session, job and VM restore point its links point at, with values
// consistent with ts (names from the links, times from ts). Its VM joins
// the objects of the job.
//
// ts.UID may be a full UID or a bare GUID; AddBackupTaskSession panics when
// it is neither, as that is a mistake in the test. Link Hrefs keep only
// their path and query: the server writes them on its own href base. When
// ts has no links, the standard ones (Up server, Up job session, Alternate
// reference) are made from JobSessionUID and the stored job session.
// JobSessionUID may be empty when ts has an Up BackupJobSessionReference
// link. Fields that are empty are served empty; an empty Name becomes
// "<VmDisplayName>@<CreationTime>".
func (s *Server) AddBackupTaskSession(ts vem.BackupTaskSession) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	s.store.addTask(ts, true)
}

// AddBackupJobSession stores js, replacing a job session with the same ID
// (the task sessions that point at it stay), and synthesizes its job when
// it is not stored yet. It panics when js.UID is neither a GUID nor a
// BackupJobSession UID. An empty JobUID is derived from the job name;
// without links the standard ones are generated.
func (s *Server) AddBackupJobSession(js vem.BackupJobSession) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	s.store.addJobSession(js)
}

// AddBackupServer stores bs, replacing a backup server with the same ID. It
// panics when bs.UID is neither a GUID nor a BackupServer UID. A zero
// WcfPort is served as 9405 and an empty VBRCertificateThumbprint as one
// derived from the ID, as real servers always carry both.
func (s *Server) AddBackupServer(bs vem.BackupServer) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	s.store.addServer(bs)
}

// AddVMRestorePoint stores rp, replacing a restore point with the same ID.
// It panics when rp.UID is neither a GUID nor a VmRestorePoint UID.
func (s *Server) AddVMRestorePoint(rp vem.VMRestorePoint) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	s.store.addRestorePoint(rp)
}

// AddJob stores j, replacing a job with the same ID, with includes as the
// objects (VMs) it processes; without includes it keeps the objects it had
// and gains the VMs of the task sessions added for its sessions. It panics
// when j.UID is neither a GUID nor a Job UID. An empty JobType is Backup
// and an empty Platform VMware; an Up BackupServerReference link names its
// backup server (synthesized when unknown). Without links the standard ones
// are generated, with Start, Stop and Retry.
func (s *Server) AddJob(j vem.Job, includes ...vem.JobInclude) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	s.store.addJob(j, includes)
}

// BackupTaskSessionCount returns how many backup task sessions the server holds
// (the seed, the generated ones and the added ones).
func (s *Server) BackupTaskSessionCount() int {
	s.store.mu.RLock()
	defer s.store.mu.RUnlock()
	return len(s.store.tasks)
}

func certHosts(cfg config) []string {
	hosts := []string{"127.0.0.1", "::1", "localhost"}
	for _, hp := range []string{cfg.addr, cfg.hrefHost} {
		if hp == "" {
			continue
		}
		if h, _, err := net.SplitHostPort(hp); err == nil {
			hp = h
		}
		if hp != "" {
			hosts = append(hosts, hp)
		}
	}
	return hosts
}

// selfSignedCertificate creates a fresh ECDSA P-256 certificate for hosts.
// It is its own CA, so a client can trust it by adding it to a pool.
func selfSignedCertificate(hosts []string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "vemtest Enterprise Manager", Organization: []string{"vemtest"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
