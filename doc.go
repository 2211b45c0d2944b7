// Package vem is a client for the Veeam Backup Enterprise Manager REST API,
// the XML/JSON API that Enterprise Manager (EM) serves on port 9398 under
// /api/. It is not the Veeam Backup & Replication REST API on port 9419
// (OAuth2, x-api-version), which is a different product API.
//
// # Construct
//
// New takes the EM address and options. It does no network I/O:
//
//	c, err := vem.New("https://em.example.com:9398",
//		vem.WithCredentials(`DOMAIN\user`, password),
//		vem.WithRootCAs(pool), // EM certificates are self-signed by default
//	)
//	if err != nil {
//		return err
//	}
//	defer c.Close() // logs out
//
// Certificates are verified by default: give WithRootCAs for a self-signed
// EM, or, knowingly, WithInsecureSkipVerify. An http:// address needs
// WithAllowInsecureHTTP, since the password and the session token would
// otherwise travel in clear text.
//
// # Authenticate
//
// The client logs on by itself on its first call (POST
// /api/sessionMngr/?v=latest with Basic authentication) and sends the
// session token in the X-RestSvcSessionId header of every later request.
// Concurrent first calls share one logon. EM ends sessions after 15 idle
// minutes. When a call meets a 401 it follows one rule:
//
//   - If another call has already replaced the token that failed, the call
//     repeats itself with the current session.
//   - Otherwise it logs on again (one logon shared by every call that met
//     the same expired session) and repeats itself. It does so a second
//     time only if the fresh session had answered something else than 401
//     before failing (it expired in turn); a 401 on a session that never
//     worked, right after the call's own logon, is a refusal and is
//     returned as an error matching ErrUnauthorized.
//   - A call repeats itself after a 401 at most 3 times; without
//     credentials (a borrowed session), never.
//
// It never loops. WithKeepAlive keeps an idle session alive instead. A
// logon that gets an answer EM never gives (404, 405, 400, a Bearer
// challenge, an HTML page, no token) fails with an error matching
// ErrNotEnterpriseManager: the address is probably not EM's (port 9398,
// under /api).
//
// ReadEnv reads VEM_URL, VEM_USERNAME, VEM_PASSWORD, VEM_SESSION_ID,
// VEM_CA_FILE and VEM_INSECURE, as the vem command reads them; the Env's
// NewClient builds a client from them (Options returns the options).
//
// WithObserver reports every HTTP attempt (calls, retries, logons,
// renewals, logouts) as a typed RequestEvent: the way to count, trace or
// print requests. The log messages of WithLogger are for people and are
// not an API.
//
// Close (or CloseContext) ends the client: from then on no logon begins,
// calls in flight fail with ErrClosed, the session the client opened is
// logged out once, and nothing is sent after Close returns. Close is
// bounded by DefaultCloseTimeout.
//
// WithSessionID reuses a token obtained elsewhere (for example by the vem
// command's "vem logon"); such a borrowed session is not renewed without
// credentials and not ended by Close. The client keeps no cookie jar: EM
// prefers a cookie over the header, so a stale cookie would override a fresh
// session.
//
// # Call
//
// Every call takes a context first; its cancellation and deadline are
// honoured while waiting for a logon, a response or a retry.
//
//	ts, err := c.GetBackupTaskSession(ctx, "88322206-a645-4aa3-9228-028ce51e7c0f")
//	if err != nil {
//		return err
//	}
//	fmt.Println(ts.VMDisplayName, ts.State, ts.Result, ts.TotalSize)
//
// Getters take a bare GUID or a full UID of the right kind
// ("urn:veeam:BackupTaskSession:<GUID>") and return entities
// (?format=Entity). Related resources are reached through links:
//
//	if l, ok := ts.BackupJobSessionLink(); ok {
//		js, err := c.GetBackupJobSession(ctx, l.ID())
//		...
//	}
//
// or FollowLink, which requests the link's path on the configured host
// only, never on the host written in the Href.
//
// QueryBackupTaskSessions runs the query service with a Filter (Eq, Gt,
// And, Or, ...) and returns an iterator over every page:
//
//	q := vem.Query{Filter: vem.And(
//		vem.Eq("Result", vem.ResultFailed),
//		vem.Ge("CreationTime", time.Now().Add(-24*time.Hour)),
//	), SortDesc: "CreationTime"}
//	for ts, err := range c.QueryBackupTaskSessions(ctx, q) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(ts.Name)
//	}
//
// NewWatcher yields each task or job session once, as it finishes, and
// keeps its position in a Cursor that resumes it in another process
// without loss or repeats; an idle watcher costs one query per Interval:
//
//	w := c.NewWatcher(vem.WatchOptions{Resume: saved})
//	for ts, err := range w.BackupTaskSessions(ctx) {
//		if err != nil {
//			return err
//		}
//		notify(ts)
//		saved = w.Cursor()
//	}
//
// # Formats
//
// The client asks for XML (the API's own format) by default, or JSON with
// WithFormat(FormatJSON), and decodes answers by their Content-Type. It reads
// EM 12 (PascalCase) and EM 13 (camelCase) JSON alike and strips the byte
// order mark some EM versions put before JSON.
//
// # Errors
//
// Non-2xx answers are *APIError values carrying the status and EM's own
// message; errors.Is matches them against ErrNotFound, ErrUnauthorized and
// ErrForbidden. Bodies that are not the expected resource (malformed,
// truncated, an EntityRef where an entity was asked for, an HTML page from a
// proxy) are *DecodeError values matching ErrDecode: a call never returns
// an empty struct. Bad IDs match ErrInvalidID and send nothing. Transport
// failures are *RequestError values that unwrap to their cause, so
// errors.Is(err, context.DeadlineExceeded) works. Passwords, the Basic
// authorization value and tokens never appear in errors or logs: what the
// server echoes back is redacted.
//
// # Reliability
//
// Idempotent requests are retried on transport errors and on 429, 502, 503
// and 504 with capped exponential backoff and jitter, honouring Retry-After
// (WithRetry). Each attempt is bounded by WithTimeout, each body by
// WithMaxResponseBytes.
//
// # Testing
//
// Package vemtest is an in-process fake Enterprise Manager for tests:
// vemtest.NewServer() serves the API over HTTPS with a seed dataset, expiry,
// both JSON casings and fault injection.
package vem
