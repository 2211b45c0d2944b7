package vem_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// Start a job and wait until the job session it started has ended.
func ExampleClient_RunJob() {
	srv := vemtest.NewServer(vemtest.WithRunTime(200 * time.Millisecond))
	defer srv.Close()
	srv.SetNextResult(vem.ResultWarning)
	c, err := srv.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	js, err := c.RunJob(context.Background(), vemtest.SeedJobID, vem.RunOptions{
		WaitOptions: vem.WaitOptions{Interval: 50 * time.Millisecond, Timeout: 2 * time.Hour},
		OnSession: func(s *vem.BackupJobSession) {
			fmt.Println("started:", s.JobName, s.State)
		},
	})
	if err != nil {
		log.Fatal(err) // errors.Is(err, vem.ErrWaitTimeout): js still runs
	}
	fmt.Println("ended:", js.JobName, js.State, js.Result)
	// Output:
	// started: vCD Job Template Working
	// ended: vCD Job Template Stopped Warning
}

// Wait for a job session someone else started.
func ExampleClient_WaitBackupJobSession() {
	srv := vemtest.NewServer(vemtest.WithRunTime(200 * time.Millisecond))
	defer srv.Close()
	srv.SetNextResult(vem.ResultFailed)
	c, err := srv.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.StartJob(ctx, vemtest.SeedJobID); err != nil {
		log.Fatal(err)
	}
	var id string
	for s, err := range c.QueryBackupJobSessions(ctx, vem.Query{
		Filter:   vem.Eq(vem.BackupJobSessionFieldJobName, "vCD Job Template"),
		SortDesc: vem.BackupJobSessionFieldCreationTime, PageSize: 1,
	}) {
		if err != nil {
			log.Fatal(err)
		}
		id = s.UID.ID()
		break // the newest is enough
	}

	js, err := c.WaitBackupJobSession(ctx, id, vem.WaitOptions{Interval: 50 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(js.State, js.Result, js.State.Ended())
	fmt.Println(js.FailureMessage)
	// Output:
	// Stopped Failed true
	// 1 of 4 VMs failed to process.
}
