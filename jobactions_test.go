package vem

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const actionJobID = "78c3919c-54d7-43fe-b047-485d3566f11f"

func TestJobActionsRequest(t *testing.T) {
	em12 := map[string]any{"TaskId": "task-1", "State": "Running", "Operation": "StartJob", "Result": nil,
		"Links": []any{map[string]any{"Rel": "Delete", "Type": "Task", "Href": "https://localhost:9398/api/tasks/task-1"}},
		"Href":  "https://localhost:9398/api/tasks/task-1", "Type": "Task"}
	want := &Task{ID: "task-1", Href: "https://localhost:9398/api/tasks/task-1", State: TaskStateRunning, Operation: "StartJob",
		Links: Links{{Rel: "Delete", Type: "Task", Href: "https://localhost:9398/api/tasks/task-1"}}}
	for _, action := range []string{"start", "retry", "stop"} {
		for name, tc := range map[string]struct {
			ct   string
			body []byte
		}{
			"xml":  {ctXML, []byte(`<Task xmlns="http://www.veeam.com/ent/v1.0" Type="Task" Href="https://localhost:9398/api/tasks/task-1"><Links><Link Rel="Delete" Type="Task" Href="https://localhost:9398/api/tasks/task-1" /></Links><TaskId>task-1</TaskId><State>Running</State><Operation>StartJob</Operation></Task>`)},
			"em12": {ctJSON, mustJSON(t, em12)},
			"em13": {ctJSON, mustJSON(t, camel(em12))},
		} {
			t.Run(action+"/"+name, func(t *testing.T) {
				c, mt := newMockClient(t)
				var got *http.Request
				mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/jobs/"+actionJobID, "action="+action, func(r *http.Request) (*http.Response, error) {
					got = r
					return mockResp(http.StatusAccepted, tc.ct, tc.body), nil
				})
				call := map[string]func(context.Context, string) (*Task, error){"start": c.StartJob, "retry": c.RetryJob, "stop": c.StopJob}[action]
				task, err := call(context.Background(), "urn:veeam:Job:"+actionJobID)
				require.NoError(t, err)
				assert.Equal(t, want, task)
				require.NotNil(t, got)
				assert.NotEmpty(t, got.Header.Get(sessionHeader))
			})
		}
	}
}

func TestJobActionForbidden(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/jobs/"+actionJobID, "action=start", func(*http.Request) (*http.Response, error) {
		return mockResp(http.StatusForbidden, ctXML, []byte(`<Error xmlns="http://www.veeam.com/ent/v1.0" Message="Access is denied." StatusCode="403" />`)), nil
	})
	_, err := c.StartJob(context.Background(), actionJobID)
	require.ErrorIs(t, err, ErrForbidden)
	assert.Contains(t, err.Error(), "Portal Administrator")
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "Access is denied.", ae.Message)
}

func TestJobActionRetryRefused(t *testing.T) {
	const msg = "Cannot retry job [Backup Job 1]: the job can be retried only after it has failed."
	c, mt := newMockClient(t)
	mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/jobs/"+actionJobID, "action=retry", func(*http.Request) (*http.Response, error) {
		return mockResp(http.StatusBadRequest, ctXML, []byte(`<Error xmlns="http://www.veeam.com/ent/v1.0" Message="`+msg+`" StatusCode="400" />`)), nil
	})
	_, err := c.RetryJob(context.Background(), actionJobID)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	assert.Equal(t, msg, ae.Message)
	assert.Contains(t, err.Error(), msg)
	assert.NotErrorIs(t, err, ErrForbidden)
}

// A job action that reached the server is sent once, whatever happens to
// its answer: a transport error or a 503 ends the call.
func TestJobActionNotRetriedAfterSending(t *testing.T) {
	for name, answer := range map[string]func() (*http.Response, error){
		"transport error": func() (*http.Response, error) { return nil, errors.New("connection reset by peer") },
		"503": func() (*http.Response, error) {
			return mockResp(http.StatusServiceUnavailable, ctHTML, []byte("<html>busy</html>")), nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			em := newFakeEM(t)
			c := em.client(t) // fastRetry: a GET would be tried 3 times
			var posts atomic.Int32
			em.mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/jobs/"+actionJobID, "action=start", func(*http.Request) (*http.Response, error) {
				posts.Add(1)
				return answer()
			})
			_, err := c.StartJob(context.Background(), actionJobID)
			require.Error(t, err)
			assert.Equal(t, int32(1), posts.Load())
		})
	}
}

// An expired session is the exception: EM refused the POST with 401, so
// it is sent again after a new logon, once.
func TestJobActionAfterExpiry(t *testing.T) {
	em := newFakeEM(t)
	c := em.client(t)
	var posts atomic.Int32
	em.mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/jobs/"+actionJobID, "action=start", func(r *http.Request) (*http.Response, error) {
		posts.Add(1)
		if !em.authorized(r) {
			return unauthorized(), nil
		}
		return mockResp(http.StatusAccepted, ctXML, []byte(`<Task Type="Task" Href="https://em:9398/api/tasks/task-1"><TaskId>task-1</TaskId><State>Running</State><Operation>StartJob</Operation></Task>`)), nil
	})
	require.NoError(t, c.Logon(context.Background()))
	em.expire()
	task, err := c.StartJob(context.Background(), actionJobID)
	require.NoError(t, err)
	assert.Equal(t, "task-1", task.ID)
	assert.Equal(t, int32(2), posts.Load())
	assert.Equal(t, int64(2), em.logons.Load())
}

func TestJobActionBadIDSendsNothing(t *testing.T) {
	c, mt := newMockClient(t)
	var sent atomic.Int32
	mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
		sent.Add(1)
		return nil, errors.New("unexpected request")
	})
	for _, id := range []string{"", "Backup Job 1", "urn:veeam:BackupJobSession:" + actionJobID} {
		_, err := c.StartJob(context.Background(), id)
		require.ErrorIs(t, err, ErrInvalidID)
		_, err = c.RunJob(context.Background(), id, RunOptions{})
		require.ErrorIs(t, err, ErrInvalidID)
	}
	assert.Zero(t, sent.Load())
}
