package health

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/vemkit/vem"
)

// Defaults of Options.
const (
	// DefaultWindow is how far back Evaluate reads sessions when
	// Options.Window is 0.
	DefaultWindow = 7 * 24 * time.Hour
	// DefaultWarnAge is the age of the last success above which a VM is
	// Warning when Options.WarnAge is 0.
	DefaultWarnAge = 26 * time.Hour
	// DefaultCritAge is the age of the last success above which a VM is
	// Critical when Options.CritAge is 0.
	DefaultCritAge = 48 * time.Hour
)

// ErrInvalidOptions is matched (errors.Is) by the error Evaluate returns for
// Options it cannot use.
var ErrInvalidOptions = errors.New("health: invalid options")

// Options tells Evaluate what to read and how to judge it. The zero Options
// is valid: 7 days of sessions, Warning after 26h, Critical after 48h,
// evaluated now, every job and VM.
type Options struct {
	// Window is how far back task and job sessions are read (default
	// DefaultWindow). A success older than the window is not seen.
	Window time.Duration
	// WarnAge: a last success older than this is Warning (default
	// DefaultWarnAge).
	WarnAge time.Duration
	// CritAge: a last success older than this is Critical (default
	// DefaultCritAge). It must not be below WarnAge.
	CritAge time.Duration
	// Now is the evaluation time; the zero time means time.Now().
	Now time.Time
	// Jobs, when set, keeps only the jobs whose name it matches.
	Jobs *regexp.Regexp
	// VMs, when set, keeps only the VMs whose display name it matches.
	VMs *regexp.Regexp
}

// withDefaults validates o and fills in its defaults.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Window < 0:
		return o, fmt.Errorf("%w: negative Window %v", ErrInvalidOptions, o.Window)
	case o.WarnAge < 0:
		return o, fmt.Errorf("%w: negative WarnAge %v", ErrInvalidOptions, o.WarnAge)
	case o.CritAge < 0:
		return o, fmt.Errorf("%w: negative CritAge %v", ErrInvalidOptions, o.CritAge)
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.WarnAge == 0 {
		o.WarnAge = DefaultWarnAge
	}
	if o.CritAge == 0 {
		o.CritAge = max(DefaultCritAge, o.WarnAge)
	}
	if o.CritAge < o.WarnAge {
		return o, fmt.Errorf("%w: CritAge %v is below WarnAge %v", ErrInvalidOptions, o.CritAge, o.WarnAge)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC()
	return o, nil
}

// Status is a verdict, in the order of the Nagios plugin exit codes: the
// greater, the worse (Unknown is the greatest).
type Status int

// Statuses.
const (
	StatusOK Status = iota
	StatusWarning
	StatusCritical
	StatusUnknown
)

// String returns "ok", "warning", "critical" or "unknown".
func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Warning:
		return "warning"
	case Critical:
		return "critical"
	case Unknown:
		return "unknown"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText writes the status as String does, so that JSON shows
// "critical" rather than 2. A status outside StatusOK..StatusUnknown is an error.
func (s Status) MarshalText() ([]byte, error) {
	if s < StatusOK || s > StatusUnknown {
		return nil, fmt.Errorf("health: invalid status %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads what MarshalText writes (any letter case).
func (s *Status) UnmarshalText(b []byte) error {
	p, err := ParseStatus(string(b))
	if err != nil {
		return err
	}
	*s = p
	return nil
}

// ParseStatus turns "ok", "warning", "critical" or "unknown" (any letter
// case) into a Status.
func ParseStatus(str string) (Status, error) {
	for s := StatusOK; s <= StatusUnknown; s++ {
		if equalFoldASCII(str, s.String()) {
			return s, nil
		}
	}
	return StatusUnknown, fmt.Errorf("health: unknown status %q", str)
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// Counts counts verdicts by status.
type Counts struct {
	OK       int
	Warning  int
	Critical int
	Unknown  int
}

// Total returns the number of verdicts counted.
func (c Counts) Total() int { return c.OK + c.Warning + c.Critical + c.Unknown }

// Of returns the count of status s.
func (c Counts) Of(s Status) int {
	switch s {
	case OK:
		return c.OK
	case Warning:
		return c.Warning
	case Critical:
		return c.Critical
	case Unknown:
		return c.Unknown
	}
	return 0
}

func (c *Counts) add(s Status) {
	switch s {
	case OK:
		c.OK++
	case Warning:
		c.Warning++
	case Critical:
		c.Critical++
	default:
		c.Unknown++
	}
}

// Report is the answer of Evaluate.
type Report struct {
	// Status is the worst status of VMs; Unknown when there is no (job, VM)
	// in scope at all (nothing ran in the window, or the scope filters
	// matched nothing).
	Status Status
	// Now, Window, WarnAge and CritAge are the options in effect, defaults
	// filled in.
	Now     time.Time
	Window  time.Duration
	WarnAge time.Duration
	CritAge time.Duration
	// VMs holds one verdict per (job, VM), worst first (then by job name,
	// VM name).
	VMs []VM
	// Jobs holds one entry per job with at least one VM in scope, worst
	// first (then by name).
	Jobs []Job
	// Counts counts VMs by status.
	Counts Counts
	// TaskSessions and JobSessions are how many sessions were read.
	TaskSessions int
	JobSessions  int
}

// VM is the verdict on one VM in one job. A VM in two jobs (a backup job and
// a backup copy job) has two verdicts.
type VM struct {
	// Name is the VM's display name; UID is EM's VM UID (VmUid) when EM
	// gives it (newer versions), else "".
	Name string
	UID  string
	// JobName and JobUID name the job; BackupServer the backup server that
	// ran the newest task.
	JobName      string
	JobUID       vem.UID
	BackupServer string
	// Status is the verdict; Why says it in one sentence.
	Status Status
	Why    string
	// LastResult is the result of the newest completed task session, ""
	// when none completed in the window.
	LastResult vem.Result
	// LastSession is the newest task session, running or not.
	LastSession *vem.BackupTaskSession
	// LastSuccess is the end time of the newest completed task session
	// with result Success or Warning; zero when there is none in the window.
	LastSuccess time.Time
	// Age is Now-LastSuccess, 0 when LastSuccess is zero.
	Age time.Duration
	// Attempts is the number of task sessions of this VM in the run of its
	// newest task session: that job session, or the newest non-retry job
	// session before it, and the retry job sessions after that.
	Attempts int
	// RecoveredByRetry is true when the newest completed task succeeded
	// (Success or Warning) after a failed attempt in the same run.
	RecoveredByRetry bool
	// Running is true when a task session of this VM in this job is not
	// completed. It never changes Status.
	Running bool
	// Reason is EM's reason of the newest completed task when its result
	// is not Success (Warning, Failed), else the reason of the failed
	// attempt a retry recovered from; "" otherwise.
	Reason string
}

// Job rolls up the verdicts of one job's VMs.
type Job struct {
	Name         string
	UID          vem.UID
	BackupServer string
	// Status is the worst status of the job's VMs.
	Status Status
	// VMs counts the job's VMs by status.
	VMs Counts
	// LastRun is the creation time of the job's newest job session in the
	// window, LastRunEnd its end (zero while it runs), LastRunState and
	// LastRunResult its state and result, LastRunIsRetry whether it is an
	// automatic retry, and LastRunDuration LastRunEnd-LastRun (0 while it
	// runs).
	LastRun         time.Time
	LastRunEnd      time.Time
	LastRunState    vem.State
	LastRunResult   vem.Result
	LastRunIsRetry  bool
	LastRunDuration time.Duration
	// Running is true when a job session of the job is running now.
	Running bool
}

// Evaluate reads the task sessions and job sessions of the window through
// the query service and judges every (job, VM) by the rules of the package
// documentation. Its requests grow with the number of pages, not of VMs or
// sessions. Invalid options return an error matching ErrInvalidOptions
// without a request; a failed request returns its error (wrapped).
func Evaluate(ctx context.Context, c *vem.Client, opts Options) (*Report, error) {
	if c == nil {
		return nil, errors.New("health: nil client")
	}
	return evaluateFrom(ctx, clientSource{c}, opts)
}
