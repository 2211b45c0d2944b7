package vem_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// Yield each task session once as it finishes, and keep the cursor to
// resume in another process without loss or repeats.
func ExampleClient_NewWatcher() {
	srv := vemtest.NewServer(vemtest.WithDataset(0)) // the seed task session only
	defer srv.Close()
	c, err := srv.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	saved := "" // e.g. read from a file; "" the first time
	w := c.NewWatcher(vem.WatchOptions{
		Since:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		Interval: time.Minute,
		Lag:      20 * time.Minute,
		Resume:   saved,
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for ts, err := range w.BackupTaskSessions(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ts.UID, ts.Result, ts.EndTime.Format(time.RFC3339))
		saved = w.Cursor() // after handling the session
		break              // an example stops here; a service runs until ctx is done
	}
	fmt.Println(saved != "")
	// Output:
	// urn:veeam:BackupTaskSession:88322206-a645-4aa3-9228-028ce51e7c0f Success 2025-10-11T20:07:09Z
	// true
}
