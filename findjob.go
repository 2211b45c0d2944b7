package vem

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrAmbiguousName matches a name that names more than one object (see
// AmbiguousNameError).
var ErrAmbiguousName = errors.New("vem: ambiguous name")

// maxFindMatches bounds the objects a Find call reads for one name.
const maxFindMatches = 100

// AmbiguousNameError is a name that more than one object has, for example
// two jobs of the same name on two backup servers. It matches
// ErrAmbiguousName.
type AmbiguousNameError struct {
	Kind    string // the kind of object, e.g. KindJob
	Name    string // the name asked for
	Matches []*Job // the objects that have the name (at most 100)
}

// Error lists the matches by UID and backup server.
func (e *AmbiguousNameError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "vem: %s name %q is ambiguous: %d objects have it:", e.Kind, e.Name, len(e.Matches))
	for i, j := range e.Matches {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %s", j.UID)
		if l, ok := j.BackupServerLink(); ok && l.Name != "" {
			fmt.Fprintf(&b, " (backup server %q)", l.Name)
		}
	}
	return b.String()
}

// Is makes the error match ErrAmbiguousName.
func (e *AmbiguousNameError) Is(target error) bool { return target == ErrAmbiguousName }

// FindJob returns the job named name, exactly (letter case included): the
// query service is asked for the jobs of that Name (GET
// /api/query?type=Job&format=Entities&filter=Name=="..."), and only those
// whose name is exactly name count, since EM compares names without regard
// to case. No such job is an error matching ErrNotFound (which mentions a
// job whose name differs only in case, if there is one); several, on
// different backup servers, an *AmbiguousNameError matching
// ErrAmbiguousName, which lists them: name the job by its ID then.
func (c *Client) FindJob(ctx context.Context, name string) (*Job, error) {
	if strings.TrimSpace(name) == "" {
		return nil, errors.New("vem: FindJob: empty job name")
	}
	var exact, folded []*Job
	n := 0
	for j, err := range c.QueryJobs(ctx, Query{Filter: Eq(JobFieldName, name), SortAsc: JobFieldBackupServerName, PageSize: maxFindMatches, Concurrency: 1}) {
		if err != nil {
			return nil, err
		}
		switch {
		case j.Name == name:
			exact = append(exact, j)
		case strings.EqualFold(j.Name, name):
			folded = append(folded, j)
		}
		if n++; n >= maxFindMatches {
			break
		}
	}
	switch len(exact) {
	case 1:
		return exact[0], nil
	case 0:
		if len(folded) > 0 {
			return nil, wrapf(ErrNotFound, "no job named %q (but %q differs only in letter case)", name, folded[0].Name)
		}
		return nil, wrapf(ErrNotFound, "no job named %q", name)
	}
	return nil, &AmbiguousNameError{Kind: KindJob, Name: name, Matches: exact}
}
