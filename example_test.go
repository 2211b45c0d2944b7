package vem_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// Read one backup task session. The fake Enterprise Manager of package
// vemtest stands in for a real one at https://em.example.com:9398.
func Example() {
	srv := vemtest.NewServer()
	defer srv.Close()

	c, err := vem.New(srv.URL,
		vem.WithHTTPClient(srv.Client()), // trusts the fake server's certificate
		vem.WithCredentials(srv.Username, srv.Password),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close() // logs out

	// A bare GUID or the full UID "urn:veeam:BackupTaskSession:<GUID>".
	s, err := c.GetBackupTaskSession(context.Background(), "88322206-a645-4aa3-9228-028ce51e7c0f")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.UID)
	fmt.Println(s.Name)
	fmt.Println(s.VMDisplayName, s.State, s.Result, s.State.Ended())
	fmt.Println(s.CreationTime, s.Duration())
	fmt.Println(s.TotalSize>>30, "GiB")
	// Output:
	// urn:veeam:BackupTaskSession:88322206-a645-4aa3-9228-028ce51e7c0f
	// AnT_VM2@2025-10-11 20:06:09
	// AnT_VM2 Completed Success true
	// 2025-10-11 20:06:09.627 +0000 UTC 59.72s
	// 12 GiB
}

// The links of a task session lead to its backup server, its job session,
// its reference representation and, once there is one, its restore point.
func ExampleBackupTaskSession_links() {
	srv := vemtest.NewServer()
	defer srv.Close()
	c, err := vem.New(srv.URL, vem.WithHTTPClient(srv.Client()), vem.WithCredentials(srv.Username, srv.Password))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	s, err := c.GetBackupTaskSession(context.Background(), "urn:veeam:BackupTaskSession:88322206-a645-4aa3-9228-028ce51e7c0f")
	if err != nil {
		log.Fatal(err)
	}
	if l, ok := s.BackupServerLink(); ok {
		fmt.Println("backup server:", l.Name, l.ID())
	}
	if l, ok := s.BackupJobSessionLink(); ok {
		fmt.Println("job session:  ", l.Name, l.ID())
	}
	if l, ok := s.AlternateLink(); ok {
		fmt.Println("reference:    ", l.Type, l.ID())
	}
	if l, ok := s.VMRestorePointLink(); ok {
		fmt.Println("restore point:", l.Name, l.ID())
	} else {
		fmt.Println("no restore point yet")
	}
	// Output:
	// backup server: enterprise01.tech.local a490c017-2c1c-40ee-8bcf-73bcce6ab36f
	// job session:   vCD Job Template@2025-10-11 20:00:04 0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c
	// reference:     BackupTaskSessionReference 88322206-a645-4aa3-9228-028ce51e7c0f
	// restore point: AnT_VM2-bFpa@2025-10-11 20:06:23 a3571c27-a3a9-4ac8-8dfb-71a2336b3218
}

// Errors carry the HTTP status and EM's message; errors.Is tells a missing
// object from a refused one, and invalid IDs fail before any request.
func ExampleAPIError() {
	srv := vemtest.NewServer()
	defer srv.Close()
	c, err := vem.New(srv.URL, vem.WithHTTPClient(srv.Client()), vem.WithCredentials(srv.Username, srv.Password))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	_, err = c.GetBackupTaskSession(ctx, "00000000-0000-4000-8000-00000000dead")
	var apiErr *vem.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("status:", apiErr.StatusCode, apiErr.Method, apiErr.Path)
	}
	fmt.Println("not found:", errors.Is(err, vem.ErrNotFound))
	fmt.Println("unauthorized:", errors.Is(err, vem.ErrUnauthorized))

	_, err = c.GetBackupTaskSession(ctx, "../logonSessions")
	fmt.Println("invalid ID:", errors.Is(err, vem.ErrInvalidID))

	bad, err := vem.New(srv.URL, vem.WithHTTPClient(srv.Client()), vem.WithCredentials(srv.Username, "wrong"))
	if err != nil {
		log.Fatal(err)
	}
	defer bad.Close()
	fmt.Println("wrong password:", errors.Is(bad.Logon(ctx), vem.ErrUnauthorized))
	// Output:
	// status: 404 GET /api/backupTaskSessions/00000000-0000-4000-8000-00000000dead
	// not found: true
	// unauthorized: false
	// invalid ID: true
	// wrong password: true
}

// Query task sessions with a server-side filter, newest first. The query
// service pages by itself; stop ranging and no more pages are read.
func ExampleClient_QueryBackupTaskSessions() {
	srv := vemtest.NewServer()
	defer srv.Close()
	c, err := srv.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	q := vem.Query{
		Filter:   vem.And(vem.Eq(vem.BackupTaskSessionFieldResult, vem.ResultSuccess), vem.Eq(vem.BackupTaskSessionFieldState, vem.StateCompleted)),
		SortDesc: vem.BackupTaskSessionFieldCreationTime,
		PageSize: 10,
	}
	n := 0
	for ts, err := range c.QueryBackupTaskSessions(context.Background(), q) {
		if err != nil {
			log.Fatal(err)
		}
		if ts.UID == "urn:veeam:BackupTaskSession:"+vemtest.SeedBackupTaskSessionID {
			fmt.Println("seed:", ts.Name, ts.Result)
		}
		n++
	}
	fmt.Println("more than one page:", n > q.PageSize)
	// Output:
	// seed: AnT_VM2@2025-10-11 20:06:09 Success
	// more than one page: true
}

// Filters render in EM's syntax: values are quoted where EM needs it, times
// are UTC, any Go number works, and nested compounds are grouped.
func ExampleFilter() {
	since := time.Date(2025, 8, 15, 8, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	f := vem.And(
		vem.Or(vem.Eq(vem.BackupTaskSessionFieldJobName, "Fileserver Backup"), vem.Eq(vem.BackupTaskSessionFieldJobName, `SQL "prod"`)),
		vem.Gt(vem.BackupTaskSessionFieldResult, vem.ResultSuccess), // enums compare by position: Warning or Failed
		vem.Ge(vem.BackupTaskSessionFieldCreationTime, since),
		vem.Gt(vem.BackupTaskSessionFieldTotalSize, 1e9),
	)
	fmt.Println(f)
	// Output:
	// (JobName=="Fileserver Backup",JobName=="SQL ""prod""");Result>Success;CreationTime>="2025-08-15T06:00:00Z";TotalSize>1000000000
}

// FollowLink reads a link's target into a typed entity; the request goes to
// the configured host whatever host the Href names.
func ExampleClient_FollowLink() {
	srv := vemtest.NewServer()
	defer srv.Close()
	c, err := srv.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	ts, err := c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
	if err != nil {
		log.Fatal(err)
	}
	l, _ := ts.BackupJobSessionLink()
	var js vem.BackupJobSession
	if err := c.FollowLink(ctx, l, &js); err != nil {
		log.Fatal(err)
	}
	fmt.Println(js.JobName, js.JobType, js.State, js.Result)
	// Output:
	// vCD Job Template Backup Stopped Success
}

// A Resolver reads each related object once, however many task sessions
// point at it.
func ExampleResolver() {
	srv := vemtest.NewServer()
	defer srv.Close()
	c, err := srv.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	var tasks []*vem.BackupTaskSession
	for ts, err := range c.QueryBackupTaskSessions(ctx, vem.Query{Filter: vem.Eq(vem.BackupTaskSessionFieldJobName, "vCD Job Template")}) {
		if err != nil {
			log.Fatal(err)
		}
		tasks = append(tasks, ts)
	}
	before := srv.Stats().Requests
	jobSessions, err := c.NewResolver(0).BackupJobSessionsOf(ctx, tasks)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(tasks) > len(jobSessions), srv.Stats().Requests-before == len(jobSessions))
	for _, ts := range tasks[:1] {
		fmt.Println(jobSessions[ts.JobSessionID()].JobName)
	}
	// Output:
	// true true
	// vCD Job Template
}

// A session opened elsewhere (a script's `vem logon`, another process) is
// used as it is; Close does not log it out, as the client did not open it.
func ExampleWithSessionID() {
	srv := vemtest.NewServer()
	defer srv.Close()
	owner, err := srv.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer owner.Close()
	if err := owner.Logon(context.Background()); err != nil {
		log.Fatal(err)
	}

	borrower, err := vem.New(srv.URL, vem.WithHTTPClient(srv.Client()), vem.WithSessionID(owner.SessionID()))
	if err != nil {
		log.Fatal(err)
	}
	ts, err := borrower.GetBackupTaskSession(context.Background(), vemtest.SeedBackupTaskSessionID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ts.VMDisplayName)
	fmt.Println(borrower.Close(), srv.Stats().Logons)
	// Output:
	// AnT_VM2
	// <nil> 1
}

// Read a job, the objects it protects, and its latest sessions through the
// query service.
func ExampleClient_GetJob() {
	srv := vemtest.NewServer()
	defer srv.Close()
	c, err := srv.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	j, err := c.GetJob(ctx, vemtest.SeedJobID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(j.Name, j.JobType, j.Platform)
	objs, err := c.ListJobIncludes(ctx, j.UID.ID())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(objs) > 0)
	for js, err := range c.QueryBackupJobSessions(ctx, vem.Query{
		Filter:   vem.Eq(vem.BackupJobSessionFieldJobUID, j.UID),
		SortDesc: vem.BackupJobSessionFieldCreationTime,
		PageSize: 1, Concurrency: 1,
	}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("newest session:", js.JobName == j.Name, js.IsRetry)
		break // the newest is enough
	}
	// Output:
	// vCD Job Template Backup VMware
	// true
	// newest session: true false
}
