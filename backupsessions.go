package vem

import "time"

// BackupJobSession is one run of a backup job: the entity representation of
// /api/backupSessions/{ID}?format=Entity.
type BackupJobSession struct {
	UID            UID // urn:veeam:BackupJobSession:<GUID>
	Name           string
	Href           string
	JobUID         UID // urn:veeam:Job:<GUID>
	JobName        string
	JobType        string
	CreationTime   time.Time // UTC; wire name CreationTimeUTC
	EndTime        time.Time // UTC; wire name EndTimeUTC; zero while the job runs
	State          State     // Starting, Stopping, Working, Pausing, Resuming, Stopped
	Result         Result
	Progress       int // percent
	IsRetry        bool
	FailureMessage string
	Links          Links
}
