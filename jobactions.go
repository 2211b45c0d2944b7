package vem

import (
	"context"
	"errors"
	"net/http"
)

// Job actions: POST /api/jobs/{ID}?action=start|retry|stop. Each answers
// 202 Accepted with a Task that reports on the action; the job session it
// starts or stops is found with RunJob, or by querying the job's sessions.
//
// A job action is not idempotent: the client never repeats one that may
// have reached the server (a transport error or a 5xx answer ends the
// call). An expired session is the exception: EM refused the request with
// 401, so the client logs on again and sends it once more.

// StartJob starts a job: POST /api/jobs/{ID}?action=start. jobID is a
// GUID, a Job UID or the ID() of a link to it. The returned Task is
// usually Running; follow it with WaitTask, or use RunJob to start a job
// and await its session. A job that is already running gives a Task whose
// Result is not a success. An account without EM's Portal Administrator
// role gets an error matching ErrForbidden.
func (c *Client) StartJob(ctx context.Context, jobID string) (*Task, error) {
	return c.jobAction(ctx, jobID, "start")
}

// RetryJob retries a failed job: POST /api/jobs/{ID}?action=retry. EM
// accepts it only when the job's last session Failed; otherwise it answers
// 400 and the error (an *APIError) carries EM's message.
func (c *Client) RetryJob(ctx context.Context, jobID string) (*Task, error) {
	return c.jobAction(ctx, jobID, "retry")
}

// StopJob stops a running job: POST /api/jobs/{ID}?action=stop. The job
// session ends as Failed. A job that is not running gives a Task whose
// Result is not a success.
func (c *Client) StopJob(ctx context.Context, jobID string) (*Task, error) {
	return c.jobAction(ctx, jobID, "stop")
}

func (c *Client) jobAction(ctx context.Context, jobID, action string) (*Task, error) {
	guid, err := ParseID(KindJob, jobID)
	if err != nil {
		return nil, err
	}
	var out *Task
	_, err = c.do(ctx, &request{method: http.MethodPost, path: jobs.path + "/" + guid, rawQuery: "action=" + action, resource: "Task of " + action + " " + KindJob + " " + guid},
		func(ct string, body []byte) error {
			var err error
			out, err = tasks.decode(ct, body, "")
			return err
		})
	if errors.Is(err, ErrForbidden) {
		return nil, wrapf(err, "%s job %s: the account lacks the rights: job actions need EM's Portal Administrator role", action, guid)
	}
	if err != nil {
		return nil, wrapf(err, "%s job %s", action, guid)
	}
	return out, nil
}
