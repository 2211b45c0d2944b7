package vemtest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/internal/em"
)

// This file runs jobs: POST /api/jobs/{ID}?action=start|retry|stop, the
// job sessions and task sessions a run produces, the EM tasks
// (GET /api/tasks/{ID}) that report on an action, and the objects in a job
// (GET /api/jobs/{ID}/includes). All timing is read from the server's
// clock, so tests drive it with WithClock.

// Defaults of job runs.
const (
	// DefaultRunTime is how long a started job runs (WithRunTime).
	DefaultRunTime = 5 * time.Second
	// maxTaskStep bounds how long an EM task stays Running, and then
	// OperationFinished, before it moves on.
	maxTaskStep = time.Second
)

// EM task states.
const (
	taskRunning           = "Running"
	taskOperationFinished = "OperationFinished"
	taskFinished          = "Finished"
)

// taskDoc is an EM task: the asynchronous answer to a job action. It
// belongs to the logon session that created it.
type taskDoc struct {
	id        string // "task-1"
	owner     string // logon session ID
	operation string // StartJob, RetryJob, StopJob, StopJobSession
	opDone    time.Time
	collected time.Time
	success   bool
	message   string
}

func (t *taskDoc) state(now time.Time) string {
	switch {
	case now.Before(t.opDone):
		return taskRunning
	case now.Before(t.collected):
		return taskOperationFinished
	}
	return taskFinished
}

// jobRun is a job session in progress.
type jobRun struct {
	jobID     string
	sessionID string
	taskIDs   []string
	end       time.Time
	result    vem.Result
}

// runTable holds the runs in progress, the EM tasks and the choice of the
// next result. It is part of the store and guarded by its lock.
type runTable struct {
	active     []*jobRun
	tasks      map[string]*taskDoc
	seq        int
	rng        *rand.Rand
	nextResult vem.Result
}

// SetNextResult makes the next job that starts (or is retried) end with
// result r (vem.ResultSuccess, vem.ResultWarning or vem.ResultFailed);
// later runs end with a random result again. Any other value goes back to
// random results at once.
func (s *Server) SetNextResult(r vem.Result) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	switch r {
	case vem.ResultSuccess, vem.ResultWarning, vem.ResultFailed:
		s.store.runs.nextResult = r
	default:
		s.store.runs.nextResult = ""
	}
}

// pickResult returns the chosen result or a random one: Success 70%,
// Warning 15%, Failed 15%, from a seeded generator.
func (rt *runTable) pickResult() vem.Result {
	if r := rt.nextResult; r != "" {
		rt.nextResult = ""
		return r
	}
	if rt.rng == nil {
		rt.rng = rand.New(rand.NewPCG(datasetSeed, 0x70b5))
	}
	switch x := rt.rng.IntN(100); {
	case x < 70:
		return vem.ResultSuccess
	case x < 85:
		return vem.ResultWarning
	}
	return vem.ResultFailed
}

// advance finishes the runs whose time is up and moves the Progress of the
// others on, in steps of 10 %. It takes the store's write lock only when
// something changes.
func (s *Server) advance(now time.Time) {
	st := s.store
	st.mu.RLock()
	due := slices.ContainsFunc(st.runs.active, func(r *jobRun) bool {
		js, ok := st.jobSessions[r.sessionID]
		return !now.Before(r.end) || ok && js.progress != r.progress(now, s.cfg.runTime)
	})
	st.mu.RUnlock()
	if !due {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.runs.active = slices.DeleteFunc(st.runs.active, func(r *jobRun) bool {
		if now.Before(r.end) {
			if js, ok := st.jobSessions[r.sessionID]; ok && js.progress != r.progress(now, s.cfg.runTime) {
				d := js.jobSessionData
				d.progress = r.progress(now, s.cfg.runTime)
				st.jobSessions[r.sessionID] = &jobSessionRec{jobSessionData: d}
			}
			return false
		}
		s.finishRun(r, r.end, r.result, "")
		return true
	})
}

// progress is how far a run is at now, rounded down to 10 %.
func (r *jobRun) progress(now time.Time, runTime time.Duration) int {
	if runTime <= 0 {
		return 0
	}
	left := r.end.Sub(now)
	return min(90, max(0, int(100-100*left/runTime)/10*10))
}

// finishRun stores the final job session and task sessions of a run. The
// caller holds the store's write lock.
func (s *Server) finishRun(r *jobRun, end time.Time, result vem.Result, why string) {
	st := s.store
	collected := end.Add(s.cfg.collectionLag)
	failed := 0
	for i, id := range r.taskIDs {
		old, ok := st.tasks[id]
		if !ok {
			continue
		}
		d := old.taskData
		d.state, d.result, d.reason = string(vem.StateCompleted), string(vem.ResultSuccess), ""
		if i == 0 && result != vem.ResultSuccess {
			d.result = string(result)
			d.reason = cmp.Or(why, taskReason(result))
		}
		if d.result == string(vem.ResultFailed) {
			failed++
		} else {
			d.totalSize = 1<<30 + int64(len(d.vmDisplayName))<<24
		}
		d.ended = end.Add(-time.Duration(len(r.taskIDs)-i) * time.Millisecond)
		if d.ended.Before(d.created) {
			d.ended = d.created
		}
		d.collectedAt = collected
		st.putTask(&taskRec{taskData: d}, true)
	}
	if old, ok := st.jobSessions[r.sessionID]; ok {
		d := old.jobSessionData
		d.state, d.result, d.progress, d.ended, d.collectedAt = string(vem.StateStopped), string(result), 100, end, collected
		switch {
		case result != vem.ResultFailed:
		case why != "":
			d.failureMessage = why
		case len(r.taskIDs) == 0:
			d.failureMessage = "The job has no objects to process."
		default:
			d.failureMessage = strconv.Itoa(failed) + " of " + strconv.Itoa(len(r.taskIDs)) + " VMs failed to process."
		}
		st.jobSessions[r.sessionID] = &jobSessionRec{jobSessionData: d}
	}
}

func taskReason(r vem.Result) string {
	if r == vem.ResultWarning {
		return genWarnings[0]
	}
	return genFailures[0]
}

// actionError is a refused action: the status and EM's message.
type actionError struct {
	status int
	msg    string
}

// act answers an action that EM runs as a Task: it checks ?action= against
// allowed, finishes due runs, and runs do with the store's write lock held.
// do returns the Task to answer with 202, or the refusal.
func (s *Server) act(w http.ResponseWriter, r *http.Request, c *call, what string, allowed []string,
	do func(action string, now time.Time) (*taskDoc, *actionError)) {
	action, _ := param(r, "action")
	action = strings.ToLower(action)
	if !slices.Contains(allowed, action) {
		s.fail(w, c, http.StatusBadRequest, fmt.Sprintf("Action [%s] is not supported for %s; use action=%s.", action, what, strings.Join(allowed, ", ")))
		return
	}
	now := s.cfg.clock()
	s.advance(now)
	s.store.mu.Lock()
	task, refused := do(action, now)
	if refused == nil {
		task.owner = c.sess.id
		s.addTask(task, now)
	}
	s.store.mu.Unlock()
	if refused != nil {
		s.fail(w, c, refused.status, refused.msg)
		return
	}
	s.reply(w, c, http.StatusAccepted, func(json bool) []byte { return s.taskBody(task, now, json) })
}

// refuse404 is EM's 404 for an object of the given noun.
func refuse404(noun, id string) *actionError {
	return &actionError{http.StatusNotFound, notFoundMessage(noun, id)}
}

// jobAction answers POST /api/jobs/{ID}?action=start|retry|stop with 202
// and a Task.
func (s *Server) jobAction(w http.ResponseWriter, r *http.Request, c *call) {
	s.act(w, r, c, "jobs", []string{"start", "retry", "stop"}, func(action string, now time.Time) (*taskDoc, *actionError) {
		st := s.store
		job, ok := st.jobs[c.id]
		if !ok {
			return nil, refuse404(jobs.noun, c.id)
		}
		running := st.runs.runOf(job.id)
		task := &taskDoc{success: true, message: "Ok"}
		switch action {
		case "start", "retry":
			task.operation = "StartJob"
			if action == "retry" {
				task.operation = "RetryJob"
			}
			last := st.lastSession(job)
			if action == "retry" && (running != nil || last == nil || last.result != string(vem.ResultFailed)) {
				return nil, &actionError{http.StatusBadRequest, fmt.Sprintf("Cannot retry job [%s]: the job can be retried only after it has failed.", job.name)}
			}
			if running != nil {
				task.success, task.message = false, fmt.Sprintf("Job [%s] is already running.", job.name)
				break
			}
			s.startRun(job, now, action == "retry", last)
		case "stop":
			task.operation = "StopJob"
			if running == nil {
				task.success, task.message = false, fmt.Sprintf("Job [%s] is not running.", job.name)
				break
			}
			s.stopRun(running, now)
		}
		return task, nil
	})
}

// stopRun ends a run now, as Failed. The caller holds the store's write
// lock.
func (s *Server) stopRun(r *jobRun, now time.Time) {
	s.store.runs.active = slices.DeleteFunc(s.store.runs.active, func(x *jobRun) bool { return x == r })
	s.finishRun(r, now, vem.ResultFailed, "Job has been stopped by user.")
}

// addTask numbers a new EM task and sets its timing. The caller holds the
// store's write lock.
func (s *Server) addTask(task *taskDoc, now time.Time) {
	rt := &s.store.runs
	step := min(s.cfg.runTime/4, maxTaskStep)
	task.opDone = now.Add(step)
	task.collected = now.Add(2*step + s.cfg.collectionLag)
	rt.seq++
	task.id = "task-" + strconv.Itoa(rt.seq)
	if rt.tasks == nil {
		rt.tasks = make(map[string]*taskDoc)
	}
	rt.tasks[task.id] = task
}

// jobSessionAction answers POST /api/backupSessions/{ID}?action=stop with
// 202 and a Task.
func (s *Server) jobSessionAction(w http.ResponseWriter, r *http.Request, c *call) {
	s.act(w, r, c, "backup job sessions", []string{"stop"}, func(_ string, now time.Time) (*taskDoc, *actionError) {
		st := s.store
		js, ok := st.jobSessions[c.id]
		if !ok {
			return nil, refuse404(jobSessions.noun, c.id)
		}
		task := &taskDoc{operation: "StopJobSession", success: true, message: "Ok"}
		if i := slices.IndexFunc(st.runs.active, func(r *jobRun) bool { return r.sessionID == js.id }); i >= 0 {
			s.stopRun(st.runs.active[i], now)
		} else {
			task.success, task.message = false, fmt.Sprintf("Job session [%s] is not running.", js.name)
		}
		return task, nil
	})
}

func (rt *runTable) runOf(jobID string) *jobRun {
	for _, r := range rt.active {
		if r.jobID == jobID {
			return r
		}
	}
	return nil
}

// lastSession returns the job's newest session, or nil.
func (st *store) lastSession(job *jobRec) *jobSessionRec {
	var last *jobSessionRec
	for _, js := range st.jobSessions {
		if id, _ := em.GUIDOf(js.jobUID); id != job.id {
			continue
		}
		if last == nil || js.created.After(last.created) {
			last = js
		}
	}
	return last
}

// startRun creates the job session and task sessions of a new run. A retry
// processes the VMs that failed in the last session (all of them when it
// cannot tell). The caller holds the store's write lock.
func (s *Server) startRun(job *jobRec, now time.Time, retry bool, last *jobSessionRec) {
	st := s.store
	vms := st.includes[job.id]
	if retry && last != nil {
		var again []includeRec
		for _, t := range st.order {
			if t.jobSessionID == last.id && t.result == string(vem.ResultFailed) {
				again = append(again, includeRec{name: t.vmDisplayName, displayName: t.vmDisplayName, hierarchyObjRef: t.vmUID})
			}
		}
		if len(again) > 0 {
			vms = again
		}
	}
	collected := time.Time{}
	if s.cfg.collectionLag > 0 {
		collected = endOfTime
	}
	run := &jobRun{jobID: job.id, sessionID: randomGUID(), end: now.Add(s.cfg.runTime), result: st.runs.pickResult()}
	name := job.name + "@" + now.Format(nameTimeLayout)
	st.jobSessions[run.sessionID] = &jobSessionRec{jobSessionData: jobSessionData{
		id: run.sessionID, name: name, jobUID: job.uid(), jobName: job.name, jobType: job.jobType,
		serverID: job.serverID, serverName: job.serverName, created: now,
		state: string(vem.StateWorking), result: string(vem.ResultNone), isRetry: retry, collectedAt: collected,
	}}
	for i, vm := range vms {
		state := vem.StatePending
		if i == 0 {
			state = vem.StateInProgress
		}
		created := now.Add(time.Duration(i+1) * time.Millisecond)
		t := st.addTask(vem.BackupTaskSession{
			UID:           vem.UID(randomGUID()),
			Name:          vm.displayName + "@" + created.Format(nameTimeLayout),
			VMDisplayName: vm.displayName,
			JobSessionUID: vem.UID(em.UID(em.KindBackupJobSession, run.sessionID)),
			CreationTime:  created,
			State:         state,
			Result:        vem.ResultNone,
			VMUID:         vm.hierarchyObjRef,
		}, true)
		t.collectedAt = collected // not read yet: nobody has the record
		run.taskIDs = append(run.taskIDs, t.id)
	}
	st.runs.active = append(st.runs.active, run)
}

// endOfTime is when sessions that are still running reach the query
// service under a collection lag: not before they finish.
var endOfTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// getTask answers GET /api/tasks/{ID}; only the logon session that created
// a task sees it.
func (s *Server) getTask(w http.ResponseWriter, _ *http.Request, c *call) {
	now := s.cfg.clock()
	s.store.mu.RLock()
	task, ok := s.store.runs.tasks[c.id]
	s.store.mu.RUnlock()
	if !ok || task.owner != c.sess.id {
		s.notFound(w, c, "task")
		return
	}
	s.reply(w, c, http.StatusOK, func(json bool) []byte { return s.taskBody(task, now, json) })
}

// deleteTask answers DELETE /api/tasks/{ID} with 204: the task is gone
// (the operation it reports on goes on).
func (s *Server) deleteTask(w http.ResponseWriter, _ *http.Request, c *call) {
	s.store.mu.Lock()
	task, ok := s.store.runs.tasks[c.id]
	if ok && task.owner == c.sess.id {
		delete(s.store.runs.tasks, c.id)
	}
	s.store.mu.Unlock()
	if !ok || task.owner != c.sess.id {
		s.notFound(w, c, "task")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) taskBody(t *taskDoc, now time.Time, json bool) []byte {
	href := "/api/tasks/" + t.id
	links := []linkSpec{{Rel: "Delete", Type: "Task", Href: href}}
	state := t.state(now)
	if json {
		return s.jsonDoc(func(w *jsonWriter) {
			w.obj()
			w.kstr("TaskId", t.id)
			w.kstr("State", state)
			w.kstr("Operation", t.operation)
			w.key("Result")
			if state == taskRunning {
				w.null()
			} else {
				w.obj()
				w.kstr("Message", t.message)
				w.key("Success")
				w.bool(t.success)
				w.endObj()
			}
			w.links(s.render.base, links)
			w.kstr("Href", s.render.base+href)
			w.kstr("Type", "Task")
			w.endObj()
		})
	}
	return s.xmlDoc(func(w *xmlWriter) {
		w.tag("Task", nsDefault, false, "Type", "Task", "Href", s.render.base+href)
		w.links(s.render.base, links)
		w.elem("TaskId", t.id)
		w.elem("State", state)
		w.elem("Operation", t.operation)
		if state != taskRunning {
			w.tag("Result", nsNone, false, "Success", strconv.FormatBool(t.success))
			w.elem("Message", t.message)
			w.end("Result")
		}
		w.end("Task")
	})
}

// listIncludes answers GET /api/jobs/{ID}/includes: the objects in the
// job (ObjectsInJob).
func (s *Server) listIncludes(w http.ResponseWriter, _ *http.Request, c *call) {
	s.store.mu.RLock()
	job, ok := s.store.jobs[c.id]
	ins := slices.Clone(s.store.includes[c.id])
	s.store.mu.RUnlock()
	if !ok {
		s.notFound(w, c, jobs.noun)
		return
	}
	jobPath := "/api/jobs/" + job.id
	links := func(in includeRec) []linkSpec {
		return []linkSpec{
			{Rel: vem.RelUp, Type: "JobReference", Href: jobPath, Name: job.name},
			{Rel: "Delete", Href: jobPath + "/includes/" + in.id},
		}
	}
	s.replyList(w, c, "ObjectsInJob", "ObjectInJobs", len(ins), func(i int, json bool) []byte {
		in := ins[i]
		href := s.render.base + jobPath + "/includes/" + in.id
		if json {
			return s.jsonDoc(func(w *jsonWriter) {
				w.obj()
				w.kstr("ObjectInJobId", in.id)
				w.kstrOrNull("HierarchyObjRef", in.hierarchyObjRef)
				w.kstrOrNull("Name", in.name)
				w.kstrOrNull("DisplayName", in.displayName)
				w.links(s.render.base, links(in))
				w.kstr("Href", href)
				w.kstr("Type", "ObjectInJob")
				w.endObj()
			})
		}
		w := s.render.xml()
		w.tag("ObjectInJob", nsNone, false, "Type", "ObjectInJob", "Href", href)
		w.links(s.render.base, links(in))
		w.elem("ObjectInJobId", in.id)
		w.elem("HierarchyObjRef", in.hierarchyObjRef)
		w.elem("Name", in.name)
		w.elem("DisplayName", in.displayName)
		w.end("ObjectInJob")
		return w.b
	})
}
