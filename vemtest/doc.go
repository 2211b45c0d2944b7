// Package vemtest is an in-process fake Veeam Backup Enterprise Manager
// (EM) REST server for tests and benchmarks of EM clients: the XML/JSON
// "Enterprise Manager REST API" of port 9398, not the newer Backup &
// Replication REST API of port 9419.
//
// NewServer starts it over HTTPS with a fresh self-signed certificate;
// Server.Client trusts that certificate and has no cookie jar:
//
//	srv := vemtest.NewServer()
//	defer srv.Close()
//	req, _ := http.NewRequest("POST", srv.URL+"/api/sessionMngr/?v=latest", nil)
//	req.SetBasicAuth(srv.Username, srv.Password) // "vem" / "vem-password"
//	resp, err := srv.Client().Do(req)            // 201, X-RestSvcSessionId header
//
// # What it serves
//
//	GET    /api/                                  EnterpriseManager (no authentication)
//	POST   /api/sessionMngr/?v=latest|v1_5|v1_6|v1_7   logon: Basic auth, 201, LogonSession
//	GET    /api/logonSessions                     the caller's own session only
//	GET    /api/logonSessions/{ID}                the caller's session; 404 for any other
//	DELETE /api/logonSessions/{ID}                logout, 204; 404 for any other session
//	GET    /api/backupTaskSessions                references of the last 30 days
//	GET    /api/backupTaskSessions/{ID}           EntityRef, or the entity with format=Entity
//	GET    /api/backupSessions[/{ID}]             BackupJobSession references / EntityRef / entity
//	GET    /api/backupSessions/{ID}/taskSessions  references of the job session's tasks
//	GET    /api/backupServers[/{ID}]              BackupServer references / EntityRef / entity
//	GET    /api/vmRestorePoints[/{ID}]            VmRestorePoint references / EntityRef / entity
//	GET    /api/jobs[/{ID}]                       Job references / EntityRef / entity
//	GET    /api/jobs/{ID}/includes                the objects (VMs) in the job: ObjectsInJob
//	GET    /api/jobs/{ID}/backupSessions          references of the job's sessions
//	POST   /api/jobs/{ID}?action=start|retry|stop 202 and a Task (see Jobs below)
//	POST   /api/backupSessions/{ID}?action=stop   202 and a Task: stops a running session
//	GET    /api/tasks/{ID}                        a Task of the caller's logon session
//	DELETE /api/tasks/{ID}                        204: forgets the Task (the job runs on)
//	GET    /api/query?type=BackupTaskSession      the query service (see below), also
//	       type=BackupJobSession, VmRestorePoint and Job
//
// Every list also answers format=Entity with entities instead of
// references. Path segments match case-insensitively; {ID} is a bare GUID
// in any letter case (a task ID is "task-N"). A malformed {ID} gets 400, an
// unknown one EM's 404 ("Cannot find job [<ID>]"), an unknown path 404, a
// known path with another method 405 (with Allow).
//
// Each entity type is described once (its elements in EM's XML and JSON
// order, its links, routes and query fields); the XML, both JSON casings,
// the routes, lists, gets and queries are written once on top of those
// descriptions.
//
// Answers have EM's shapes: namespace http://www.veeam.com/ent/v1.0, EM's
// element and attribute names, absolute Hrefs on the server's URL (or on
// the host of WithHrefHost), and an Error document with every 4xx and 5xx.
// XML is the default (no Accept, */*, or an XML type); Accept:
// application/json gets JSON, with EM 12 PascalCase keys or, with
// WithJSONStyle(JSONStyleEM13CamelCase), EM 13 camelCase keys.
//
// # Sessions
//
// The token of the X-RestSvcSessionId response header is accepted in the
// X-RestSvcSessionId request header or cookie; when a request carries
// both, the cookie wins, as on EM. A session expires after the idle
// timeout (WithIdleTimeout, 15 minutes by default, on the WithClock clock);
// ExpireSessions ends them all at once. Missing, unknown and expired tokens
// get 401 with WWW-Authenticate: Basic Realm=RestSvc.
//
// # Query service
//
// GET /api/query?type=BackupTaskSession (or BackupJobSession,
// VmRestorePoint, Job) takes format=Entities (entities;
// without it, references), filter, sortAsc or sortDesc (a field name),
// pageSize (default 100) and page (1-based). The result's PagingInfo
// carries First, Previous (from page 2), Next (when there is a next page)
// and Last links that repeat the request's query with page replaced,
// escaped as EM escapes them. An empty result has one (empty) page. The
// default order is CreationTime ascending (name for jobs).
//
// The filter language: ==, !=, >, >=, <, <=; ";" is AND, "," is OR, and
// AND binds tighter than OR; parentheses group; values are bare or
// double-quoted with inner quotes doubled. The fake parses it with a parser
// of its own, so that it checks what clients write. Each type has the
// fields of EM's documentation (the task session's UID, Name,
// CreationTime, EndTime, State, Result, Reason, TotalSize, JobSessionUid,
// JobUid, JobName, BackupServerUid, BackupServerName, VmDisplayName; the
// job session's JobType, IsRetry, ...; the restore point's Type,
// Algorithm, RestorePointId, ...; the job's Platform, ScheduleEnabled,
// NextRun, ...); field names are case-insensitive. Strings compare
// case-insensitively; UIDs too, and a bare GUID matches the UID that ends
// in it; times compare as times (RFC 3339, with or without zone and
// fraction; no zone means UTC); an empty time value means null, so
// EndTime=="" finds running sessions; numbers compare as integers,
// booleans as True or False; State and Result compare by their position in
// EM's order (task states InProgress, Pending, Completed; job session
// states Starting, Stopping, Working, Pausing, Resuming, Stopped; results
// None, Success, Warning, Failed), so Result>Success means Warning or
// Failed. A syntax error, an unknown field or a value of the wrong type
// gets 400.
//
// # Jobs
//
// POST /api/jobs/{ID}?action=start answers 202 with a Task and starts a
// job session (State Working, its Progress moving on in steps of 10 %) with
// a task session for each VM of the job;
// after the run time (WithRunTime, DefaultRunTime by default) the session
// is Stopped with the result chosen by SetNextResult, or a random one. A
// Failed session counts its failed VMs in FailureMessage; action=retry is
// accepted only after a Failed session (else EM's 400) and processes the
// VMs that failed, with IsRetry true; action=stop ends a running session
// as Failed. Starting a running job, or stopping one that is not running,
// gives a Task that finishes unsuccessfully. The Task (GET /api/tasks/{ID})
// is Running, then OperationFinished, then Finished with its Result, and
// only the logon session that created it can see it. A user without an EM
// role gets 403. WithCollectionLag delays when the sessions of started jobs
// reach the query service. All of it runs on the WithClock clock: a test
// moves time forward instead of sleeping.
//
// # Data set
//
// Every server holds the seed task session of EM's documentation
// (SeedTaskSession, ID SeedBackupTaskSessionID) with its backup server, job
// session and restore point, plus DefaultDatasetSize (60) generated task
// sessions, or as many as WithDataset says. Generation is deterministic for
// a given WithNow time: the sessions lie in the 30 days before it, on three
// backup servers and six jobs (names with spaces, quotes, "&", "<" and
// non-ASCII text), several tasks per job session, every State and Result,
// running tasks without EndTime, Reasons with quotes, "<", "&" and
// non-ASCII text, TotalSize values above 2^32, and a Related VmRestorePoint
// link on most but not all completed tasks; the six backup jobs (SeedJobID
// is "vCD Job Template") with their VMs as objects, so that jobs can be
// started. Add more with AddBackupTaskSession and its siblings. Rendered task sessions are cached,
// so pages of thousands of entities are served quickly.
//
// # Faults and counters
//
// FailNext, FailNextRetryAfter and FailNextLogon fail the next requests
// with a status; SetFaults installs a seeded probabilistic plan of
// connection resets, error answers (optionally with Retry-After) and
// delays; SetLatency slows every request. Delays end as soon as the
// request's context is done or the server closes. Stats counts requests,
// logons, logouts, expirations, connections, injected faults and requests
// per route.
package vemtest
