package vem

import (
	"context"
	"iter"
	"net/http"
	"strings"

	"github.com/vemkit/vem/internal/em"
)

// KindTask is the Type of an EM task document. Tasks have no UID: they are
// named by a TaskId such as "task-1".
const KindTask = "Task"

// TaskState is the state of an EM task. Values the SDK does not know are
// kept verbatim.
type TaskState string

// EM task states, in the order a task goes through them.
const (
	// TaskStateRunning: the operation is in progress.
	TaskStateRunning TaskState = "Running"
	// TaskStateOperationFinished: the operation is finished on the backup
	// server, but EM has not collected its data yet.
	TaskStateOperationFinished TaskState = "OperationFinished"
	// TaskStateFinished: the operation is finished and EM's database holds
	// its data.
	TaskStateFinished TaskState = "Finished"
)

// Ended reports whether the task's operation has ended on the backup
// server (OperationFinished or Finished), so that its Result is known. It
// means what State.Ended means for sessions.
func (s TaskState) Ended() bool { return s == TaskStateOperationFinished || s == TaskStateFinished }

// Collected reports whether the task is in EM's state Finished: the
// operation has ended and EM's database holds its data.
func (s TaskState) Collected() bool { return s == TaskStateFinished }

// TaskResult is the outcome of a task's operation.
type TaskResult struct {
	Success bool
	// Message is EM's text, e.g. `Job "Oracle Backup" triggered to start.`
	// or why the operation failed.
	Message string
}

// Task is an EM task: the asynchronous answer to an action such as
// POST /api/jobs/{ID}?action=start, read with GET /api/tasks/{ID}. A task
// belongs to the logon session that created it: after the client logs on
// again (an expired session), GetTask answers ErrNotFound.
type Task struct {
	ID        string // TaskId, e.g. "task-1"; the {ID} of /api/tasks/{ID}
	Href      string
	State     TaskState
	Operation string      // e.g. StartJob, RetryJob, StopJob
	Result    *TaskResult // nil while the task is Running
	Links     Links
}

// Succeeded reports whether the task's operation has ended and succeeded.
func (t *Task) Succeeded() bool { return t.State.Ended() && t.Result != nil && t.Result.Success }

// BackupJobSessionLink returns a link to a job session the task names, when EM
// sends one (EM's documented tasks do not).
func (t *Task) BackupJobSessionLink() (Link, bool) {
	for _, l := range t.Links {
		id := l.ID()
		if id == "" {
			continue
		}
		p := strings.ToLower(strings.TrimSuffix(linkPath(l.Href), "/"))
		if l.Type == TypeBackupJobSessionReference || l.Type == KindBackupJobSession || strings.HasSuffix(p, "/backupsessions/"+id) {
			return l, true
		}
	}
	return Link{}, false
}

// GetTask reads one EM task: GET /api/tasks/{ID}. id is a TaskId such as
// "task-1". Only the logon session that created the task sees it; any
// other answers ErrNotFound.
func (c *Client) GetTask(ctx context.Context, id string) (*Task, error) {
	if err := checkTaskID(id); err != nil {
		return nil, err
	}
	var out *Task
	_, err := c.do(ctx, &request{method: http.MethodGet, path: tasks.path + "/" + id, resource: KindTask + " " + id},
		func(ct string, body []byte) error {
			var err error
			out, err = tasks.decode(ct, body, id)
			return err
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkTaskID accepts EM's task IDs: letters, digits, '-', '_' and '.',
// at most 100 characters.
func checkTaskID(id string) error {
	reason := ""
	switch {
	case id == "":
		reason = "empty"
	case len(id) > 100:
		reason = "longer than 100 characters"
	case strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) >= 0 || id == "." || id == "..":
		reason = "not a task ID such as task-1"
	}
	if reason != "" {
		return &InvalidIDError{ID: id, Kind: KindTask, Reason: reason}
	}
	return nil
}

var tasks = resource[Task, taskWire, *taskWire]{kind: KindTask, path: "/api/tasks", query: em.TaskQuery(), container: "Resources"}

// QueryTasks runs a query-service query for the tasks of this logon session
// (GET /api/query?type=Task&format=Entities; EM keeps them in
// <Resources><Tasks>) and yields them across every page. Filter and sort on
// the TaskField constants.
func (c *Client) QueryTasks(ctx context.Context, q Query) iter.Seq2[*Task, error] {
	return tasks.queryAll(ctx, c, q)
}

// Query fields of Task, for filters and sorts.
const (
	TaskFieldTaskID    Field = "TaskId"
	TaskFieldState     Field = "State"
	TaskFieldOperation Field = "Operation"
)

var _ entity = (*Task)(nil)

func (t *Task) decodeEntity(ct string, body []byte) error {
	return tasks.decodeInto(ct, body, t)
}

type taskResultWire struct {
	Success bool   `xml:"Success,attr" json:"Success"`
	Message string `xml:"Message" json:"Message"`
}

type taskWire struct {
	entityHeader
	TaskID    string          `xml:"TaskId" json:"TaskId"`
	State     string          `xml:"State" json:"State"`
	Operation string          `xml:"Operation" json:"Operation"`
	Result    *taskResultWire `xml:"Result" json:"Result"`
}

// header gives the shared kind check a UID to read: a task has none, so
// its TaskId stands in for the GUID of other kinds.
func (w *taskWire) header() *entityHeader {
	if w.UID == "" && w.TaskID != "" && !strings.Contains(w.TaskID, ":") {
		w.UID = "urn:veeam:" + KindTask + ":" + w.TaskID
	}
	return &w.entityHeader
}

func (w *taskWire) toPublic() (*Task, error) {
	t := &Task{ID: w.TaskID, Href: w.Href, State: TaskState(w.State), Operation: w.Operation, Links: w.Links}
	if w.Result != nil {
		t.Result = &TaskResult{Success: w.Result.Success, Message: strings.TrimSpace(w.Result.Message)}
	}
	return t, nil
}
