package vem

import (
	"context"
	"time"
)

// SetWatcherSleep replaces the watcher's wait between polls, so that tests
// drive time with a fake clock instead of sleeping.
func SetWatcherSleep(w *Watcher, sleep func(ctx context.Context, d time.Duration) error) {
	w.sleep = sleep
}
