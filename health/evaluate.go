package health

import (
	"context"
	"time"

	"github.com/vemkit/vem"
)

func evaluateFrom(ctx context.Context, src source, opts Options) (*Report, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	tasks, jobs, err := read(ctx, src, opts.Now, opts.Window)
	if err != nil {
		return nil, err
	}
	return evaluate(opts.Now, opts, tasks, jobs), nil
}

func evaluate(now time.Time, opts Options, tasks []*vem.BackupTaskSession, jobSessions []*vem.BackupJobSession) *Report {
	return &Report{Status: Unknown, Now: now, Window: opts.Window, WarnAge: opts.WarnAge, CritAge: opts.CritAge}
}
