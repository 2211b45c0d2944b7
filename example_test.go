package vem_test

import (
	"context"
	"errors"
	"fmt"
	"log"

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
	fmt.Println(s.VMDisplayName, s.State, s.Result, s.State.Finished())
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
	if l, ok := s.JobSessionLink(); ok {
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
