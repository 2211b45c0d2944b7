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

// taskFinishedXML is EM's documented Finished task (get_tasks_id, task-3).
const taskFinishedXML = `<Task xmlns="http://www.veeam.com/ent/v1.0" Type="Task" Href="https://localhost:9398/api/tasks/task-3">
  <Links>
    <Link Rel="Delete" Type="Task" Href="https://localhost:9398/api/tasks/task-3" />
  </Links>
  <TaskId>task-3</TaskId>
  <State>Finished</State>
  <Operation>StartJob</Operation>
  <Result Success="true">
    <Message>Job "SQL Server Replication" triggered to start.</Message>
  </Result>
</Task>`

// taskFinishedEM12 is the same task as EM 12 JSON.
var taskFinishedEM12 = map[string]any{
	"TaskId": "task-3", "State": "Finished", "Operation": "StartJob",
	"Result": map[string]any{"Message": `Job "SQL Server Replication" triggered to start.`, "Success": true},
	"Links":  []any{map[string]any{"Rel": "Delete", "Type": "Task", "Href": "https://localhost:9398/api/tasks/task-3"}},
	"Href":   "https://localhost:9398/api/tasks/task-3", "Type": "Task",
}

func wantTask3() *Task {
	return &Task{
		ID: "task-3", Href: "https://localhost:9398/api/tasks/task-3", State: TaskStateFinished, Operation: "StartJob",
		Result: &TaskResult{Success: true, Message: `Job "SQL Server Replication" triggered to start.`},
		Links:  Links{{Rel: "Delete", Type: "Task", Href: "https://localhost:9398/api/tasks/task-3"}},
	}
}

func TestGetTaskFormats(t *testing.T) {
	for name, tc := range map[string]struct {
		ct   string
		body []byte
	}{
		"xml":  {ctXML, []byte(taskFinishedXML)},
		"em12": {ctJSON, mustJSON(t, taskFinishedEM12)},
		"em13": {ctJSON, mustJSON(t, camel(taskFinishedEM12))},
	} {
		t.Run(name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, testBase+"/api/tasks/task-3", func(*http.Request) (*http.Response, error) {
				return mockResp(http.StatusOK, tc.ct, tc.body), nil
			})
			task, err := c.GetTask(context.Background(), "task-3")
			require.NoError(t, err)
			assert.Equal(t, wantTask3(), task)
			assert.True(t, task.Succeeded())
			assert.True(t, task.State.Collected())
			_, ok := task.BackupJobSessionLink()
			assert.False(t, ok)
		})
	}
}

// A Running task has no Result (EM sends none in XML, null in JSON).
func TestGetTaskRunning(t *testing.T) {
	for name, tc := range map[string]struct{ ct, body string }{
		"xml":  {ctXML, `<Task xmlns="http://www.veeam.com/ent/v1.0" Type="Task" Href="https://em:9398/api/tasks/task-1"><TaskId>task-1</TaskId><State>Running</State><Operation>StartJob</Operation></Task>`},
		"json": {ctJSON, `{"taskId":"task-1","state":"Running","operation":"StartJob","result":null,"links":[],"href":"https://em:9398/api/tasks/task-1","type":"Task"}`},
	} {
		t.Run(name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, testBase+"/api/tasks/task-1", func(*http.Request) (*http.Response, error) {
				return mockResp(http.StatusOK, tc.ct, []byte(tc.body)), nil
			})
			task, err := c.GetTask(context.Background(), "task-1")
			require.NoError(t, err)
			assert.Equal(t, TaskStateRunning, task.State)
			assert.Nil(t, task.Result)
			assert.False(t, task.State.Ended())
			assert.False(t, task.Succeeded())
		})
	}
}

func TestGetTaskWrongAnswers(t *testing.T) {
	for name, body := range map[string]string{
		"another task": `<Task Type="Task" Href="x"><TaskId>task-9</TaskId><State>Running</State></Task>`,
		"not a task":   `<EntityRef Type="BackupJobSessionReference" UID="urn:veeam:BackupJobSession:0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c"/>`,
		"no TaskId":    `<Task Type="Task"><State>Running</State></Task>`,
	} {
		t.Run(name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, testBase+"/api/tasks/task-1", func(*http.Request) (*http.Response, error) {
				return mockResp(http.StatusOK, ctXML, []byte(body)), nil
			})
			_, err := c.GetTask(context.Background(), "task-1")
			require.ErrorIs(t, err, ErrDecode)
		})
	}
}

func TestGetTaskBadIDSendsNothing(t *testing.T) {
	c, mt := newMockClient(t)
	var sent atomic.Int32
	mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
		sent.Add(1)
		return nil, errors.New("unexpected request")
	})
	for _, id := range []string{"", "task-1/../x", "task 1", "..", "task-1?x=1", string(make([]byte, 101))} {
		_, err := c.GetTask(context.Background(), id)
		require.ErrorIs(t, err, ErrInvalidID, "%q", id)
		_, err = c.WaitTask(context.Background(), id, WaitOptions{})
		require.ErrorIs(t, err, ErrInvalidID, "%q", id)
	}
	assert.Zero(t, sent.Load())
}

func TestTaskJobSessionLink(t *testing.T) {
	const js = "0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c"
	task := &Task{Links: Links{
		{Rel: "Delete", Type: "Task", Href: "https://em:9398/api/tasks/task-1"},
		{Rel: "Related", Type: "BackupJobSessionReference", Href: "https://em:9398/api/backupSessions/" + js},
	}}
	l, ok := task.BackupJobSessionLink()
	require.True(t, ok)
	assert.Equal(t, js, l.ID())
	task.Links[1].Type = ""
	l, ok = task.BackupJobSessionLink()
	require.True(t, ok, "found by its path")
	assert.Equal(t, js, l.ID())
	task.Links[1].Href += "/taskSessions"
	_, ok = task.BackupJobSessionLink()
	assert.False(t, ok)
}

func FuzzDecodeTask(f *testing.F) {
	f.Add([]byte(taskFinishedXML), false)
	f.Add([]byte(`{"taskId":"task-1","state":"Running","result":null}`), true)
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		if task, err := tasks.decode(contentType(json), body, ""); err == nil && task.ID == "" {
			t.Fatalf("accepted a task without TaskId")
		}
	})
}
