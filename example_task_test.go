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

// Find a job by its name, then start it. A name two jobs share (on two
// backup servers) is an *AmbiguousNameError listing both.
func ExampleClient_FindJob() {
	srv := vemtest.NewServer(vemtest.WithRunTime(100 * time.Millisecond))
	defer srv.Close()
	c, err := srv.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	job, err := c.FindJob(ctx, "vCD Job Template")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.UID, job.JobType)

	_, err = c.FindJob(ctx, "Nightly")
	fmt.Println(errors.Is(err, vem.ErrNotFound), err)

	js, err := c.RunJob(ctx, job.UID.ID(), vem.RunOptions{WaitOptions: vem.WaitOptions{Interval: 20 * time.Millisecond}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(js.JobName, js.State, js.Result)
	// Output:
	// urn:veeam:Job:05376e9a-a862-50ce-9c05-ee54d1866b94 Backup
	// true vem: no job named "Nightly": not found
	// vCD Job Template Stopped Success
}

// Wait for the EM task a job action returns: the action's outcome.
func ExampleClient_WaitTask() {
	srv := vemtest.NewServer(vemtest.WithRunTime(200 * time.Millisecond))
	defer srv.Close()
	c, err := srv.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	task, err := c.StartJob(ctx, vemtest.SeedJobID)
	if err != nil {
		log.Fatal(err)
	}
	task, err = c.WaitTask(ctx, task.ID, vem.WaitOptions{Interval: 20 * time.Millisecond, Timeout: time.Minute})
	if err != nil {
		log.Fatal(err) // errors.Is(err, vem.ErrWaitTimeout) after Timeout
	}
	fmt.Println(task.Operation, task.State, task.State.Ended(), task.Succeeded())
	// Output:
	// StartJob Finished true true
}

// Wait for one VM's task session of a running job to end.
func ExampleClient_WaitBackupTaskSession() {
	srv := vemtest.NewServer(vemtest.WithRunTime(200 * time.Millisecond))
	defer srv.Close()
	c, err := srv.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	// Start the job, find its new session (the job's newest) and take the
	// first of its task sessions.
	if _, err := c.StartJob(ctx, vemtest.SeedJobID); err != nil {
		log.Fatal(err)
	}
	var tasks []vem.EntityRef
	for js, err := range c.QueryBackupJobSessions(ctx, vem.Query{
		Filter:   vem.Eq(vem.BackupJobSessionFieldJobUID, "urn:veeam:Job:"+vemtest.SeedJobID),
		SortDesc: vem.BackupJobSessionFieldCreationTime, PageSize: 1,
	}) {
		if err != nil {
			log.Fatal(err)
		}
		if tasks, err = c.ListBackupJobSessionTaskSessions(ctx, js.UID.ID()); err != nil {
			log.Fatal(err)
		}
		break
	}
	if len(tasks) == 0 {
		log.Fatal("no task session")
	}

	ts, err := c.WaitBackupTaskSession(ctx, tasks[0].ID(), vem.WaitOptions{Interval: 20 * time.Millisecond, Timeout: time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ts.JobName(), ts.State, ts.State.Ended(), ts.Result)
	// Output:
	// vCD Job Template Completed true Success
}

// Count requests and logons, or trace them: the observer sees every HTTP
// attempt, logons, renewals and logouts included.
func ExampleWithObserver() {
	srv := vemtest.NewServer()
	defer srv.Close()
	var requests, logons int
	c, err := srv.NewClient(vem.WithObserver(func(e vem.RequestEvent) {
		requests++ // one client, one call at a time here; guard with a mutex or atomics otherwise
		if e.SessionOpened() {
			logons++
		}
		fmt.Println(e.Kind, e.Method, e.Status, e.Outcome, "attempt", e.Attempt, e.Duration > 0)
	}))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID); err != nil {
		log.Fatal(err)
	}
	srv.ExpireSessions() // as EM does after 15 idle minutes
	if _, err := c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID); err != nil {
		log.Fatal(err)
	}
	if err := c.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(requests, "requests,", logons, "logons")
	// Output:
	// logon POST 201 ok attempt 1 true
	// call GET 200 ok attempt 1 true
	// call GET 401 http_error attempt 1 true
	// renewal POST 201 ok attempt 1 true
	// call GET 200 ok attempt 1 true
	// logout DELETE 204 ok attempt 1 true
	// 6 requests, 2 logons
}
