package vemtest

import (
	"strconv"
	"time"
)

// Defaults of a new Server.
const (
	// DefaultUsername and DefaultPassword are the credentials a Server
	// accepts unless WithCredentials says otherwise.
	DefaultUsername = "vem"
	DefaultPassword = "vem-password"
	// DefaultIdleTimeout is how long a session may stay unused before it
	// expires, as on Enterprise Manager.
	DefaultIdleTimeout = 15 * time.Minute
	// DefaultDatasetSize is the number of generated task sessions served
	// besides the seed task session.
	DefaultDatasetSize = 60
	// DefaultPageSize is the query service's page size when the request
	// has no pageSize, as on real Enterprise Manager servers.
	DefaultPageSize = 100
)

// JSONStyle selects the key casing of JSON answers.
type JSONStyle int

// JSON key casings.
const (
	// JSONStyleEM12PascalCase writes keys as Enterprise Manager 12 does:
	// "CreationTimeUTC", "UID", "Links":[{"Rel":...}].
	JSONStyleEM12PascalCase JSONStyle = iota
	// JSONStyleEM13CamelCase writes keys as Enterprise Manager 13 does:
	// "creationTimeUTC", "uid", "links":[{"rel":...}].
	JSONStyleEM13CamelCase
)

// String returns the style's short name: "EM12PascalCase" or "EM13CamelCase".
func (s JSONStyle) String() string {
	switch s {
	case JSONStyleEM12PascalCase:
		return "EM12PascalCase"
	case JSONStyleEM13CamelCase:
		return "EM13CamelCase"
	}
	return "JSONStyle(" + strconv.Itoa(int(s)) + ")"
}

// Option configures a Server created by NewServer.
type Option func(*config)

type config struct {
	username, password string
	users              map[string]user // extra accounts
	idle               time.Duration
	style              JSONStyle
	fleet              *Fleet // WithFleet
	dataset            int
	tls                bool
	addr               string
	now                time.Time
	clock              func() time.Time
	hrefHost           string
	runTime            time.Duration
	collectionLag      time.Duration
}

func defaultConfig() config {
	return config{
		username: DefaultUsername,
		password: DefaultPassword,
		users:    make(map[string]user),
		idle:     DefaultIdleTimeout,
		dataset:  DefaultDatasetSize,
		tls:      true,
		clock:    time.Now,
		runTime:  DefaultRunTime,
	}
}

// WithCredentials sets the username and password the server accepts
// (default DefaultUsername / DefaultPassword). They are also in
// Server.Username and Server.Password.
func WithCredentials(username, password string) Option {
	return func(c *config) { c.username, c.password = username, password }
}

// WithUser adds another account that may log on and use every resource.
func WithUser(username, password string) Option {
	return func(c *config) { c.users[username] = user{password: password} }
}

// WithForbiddenUser adds an account that logs on successfully but lacks an
// EM role: every resource answers it 403 Forbidden (its own logon session
// stays readable and deletable).
func WithForbiddenUser(username, password string) Option {
	return func(c *config) { c.users[username] = user{password: password, forbidden: true} }
}

// WithIdleTimeout sets how long a session may stay unused before the next
// request with its token gets 401 (default DefaultIdleTimeout, 15 minutes,
// as EM). Every authenticated request restarts the timer. A duration <= 0
// disables idle expiry. Combine with WithClock to test expiry without
// sleeping.
func WithIdleTimeout(d time.Duration) Option {
	return func(c *config) { c.idle = d }
}

// WithJSONStyle sets the key casing of JSON answers (default
// JSONStyleEM12PascalCase).
func WithJSONStyle(style JSONStyle) Option {
	return func(c *config) { c.style = style }
}

// WithDataset sets the number of generated task sessions (default
// DefaultDatasetSize). The seed task session is served in addition, so the
// query service sees n+1 task sessions. Generation is deterministic for a
// given WithNow time; n < 0 counts as 0.
func WithDataset(n int) Option {
	return func(c *config) { c.dataset = max(n, 0) }
}

// WithoutTLS makes the server speak plain HTTP instead of HTTPS.
func WithoutTLS() Option {
	return func(c *config) { c.tls = false }
}

// WithAddr sets the listen address, for example "127.0.0.1:9398"
// (default: a free port on 127.0.0.1). NewServer panics when it cannot
// listen there.
func WithAddr(addr string) Option {
	return func(c *config) { c.addr = addr }
}

// WithNow sets the time the generated data set is relative to: generated
// task sessions lie in the 30 days before it, the newest still running.
// The default is the clock's time when the server starts.
func WithNow(t time.Time) Option {
	return func(c *config) { c.now = t.UTC() }
}

// WithClock sets the clock the server reads for session idle expiry, for
// the 30-day window of GET /api/backupTaskSessions, and for job runs, EM
// tasks and the collection lag (default time.Now).
// The function must be safe for concurrent use.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.clock = now
		}
	}
}

// WithHrefHost makes the server write Hrefs with another host and port
// ("localhost:9398"), as real EM often does, instead of its own address.
// The scheme stays the server's. Requests are still served on Server.URL.
func WithHrefHost(hostport string) Option {
	return func(c *config) { c.hrefHost = hostport }
}

// WithRunTime sets how long a started job runs before its session ends
// (default DefaultRunTime), on the WithClock clock. The EM task of a job
// action stays Running for a quarter of it (at most a second), then
// OperationFinished as long again (plus the collection lag), then
// Finished. d < 0 counts as 0.
func WithRunTime(d time.Duration) Option {
	return func(c *config) { c.runTime = max(d, 0) }
}

// WithCollectionLag makes the sessions of started jobs reach the query
// service only d after they finished, as EM collects from backup servers
// every few minutes (default 0: at once, running sessions included). With
// a lag, running sessions are not in query results at all; GET by ID and
// the lists show them at once either way. d < 0 counts as 0.
func WithCollectionLag(d time.Duration) Option {
	return func(c *config) { c.collectionLag = max(d, 0) }
}
