package health

import (
	"context"
	"iter"
	"sync"
	"time"

	"github.com/vemkit/vem"
)

// jobSessions reads nothing until the client can query job sessions; the
// job sessions the task sessions point at are read by jobSessionsByUID.
func (s clientSource) jobSessions(context.Context, time.Time) iter.Seq2[*vem.BackupJobSession, error] {
	return func(func(*vem.BackupJobSession, error) bool) {}
}

// jobSessionsByUID reads the job sessions one by one, 8 at a time.
func (s clientSource) jobSessionsByUID(ctx context.Context, uids []vem.UID) iter.Seq2[*vem.BackupJobSession, error] {
	return func(yield func(*vem.BackupJobSession, error) bool) {
		out := make([]*vem.BackupJobSession, len(uids))
		errs := make([]error, len(uids))
		sem := make(chan struct{}, 8)
		var wg sync.WaitGroup
		for i, u := range uids {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				out[i], errs[i] = s.c.GetBackupJobSession(ctx, u.String())
			})
		}
		wg.Wait()
		for i := range uids {
			if errs[i] != nil {
				yield(nil, errs[i])
				return
			}
			if !yield(out[i], nil) {
				return
			}
		}
	}
}
