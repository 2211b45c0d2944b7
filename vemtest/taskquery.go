package vemtest

import (
	"slices"
	"strconv"
	"strings"

	"github.com/vemkit/vem/internal/em"
)

// taskView is an EM task as the query service shows it at one moment.
// Views are made per query (a task's state moves with the clock), so their
// render cache lives only as long as the query.
type taskView struct {
	renderCache
	doc   *taskDoc
	state string
}

func (v *taskView) guid() string { return v.doc.id }

// tasksQuery serves GET /api/query?type=Task: the tasks of the asking
// logon session, in <Resources><Tasks>, filtered and sorted on TaskId,
// State and Operation. GET /api/tasks/{ID} stays with getTask.
var tasksQuery = (&entityType[*taskView]{
	kind:      "Task",
	refType:   "Task",
	path:      "/api/tasks",
	list:      "Tasks",
	noun:      "task",
	name:      func(*taskView) string { return "" },
	container: "Resources",
	noUID:     true,
	plainHref: true,
	noRoutes:  true,
	fields: []field[*taskView]{
		fStr("TaskId", func(v *taskView) string { return v.doc.id }),
		fStr("State", func(v *taskView) string { return v.state }),
		fStr("Operation", func(v *taskView) string { return v.doc.operation }),
		fRaw("Result", func(v *taskView) (string, string) {
			if v.state == taskRunning {
				return "", ""
			}
			w := &xmlWriter{}
			w.tag("Result", nsNone, false, "Success", strconv.FormatBool(v.doc.success))
			w.elem("Message", v.doc.message)
			w.end("Result")
			j := &jsonWriter{}
			j.obj()
			j.kstr("Message", v.doc.message)
			j.key("Success")
			j.bool(v.doc.success)
			j.endObj()
			return string(w.b), string(j.b)
		}),
	},
	links: func(v *taskView) []linkSpec {
		return []linkSpec{{Rel: "Delete", Type: "Task", Href: "/api/tasks/" + v.doc.id}}
	},
	refs: func(v *taskView) []linkSpec { return nil },
	all:  func(*store) []*taskView { return nil },
	lookup: func(*store, string) (*taskView, bool) {
		return nil, false
	},
	queryAll: func(s *Server, q *queryRequest) []*taskView {
		now := s.cfg.clock()
		var out []*taskView
		for _, d := range s.store.runs.tasks {
			if d.owner == q.sess {
				out = append(out, &taskView{doc: d, state: d.state(now)})
			}
		}
		slices.SortFunc(out, func(a, b *taskView) int { return taskSeq(a.doc.id) - taskSeq(b.doc.id) })
		return out
	},
	query: em.TaskQuery(),
	getters: map[string]getter[*taskView]{
		"taskid":    gStr(func(v *taskView) string { return v.doc.id }),
		"state":     gStr(func(v *taskView) string { return v.state }),
		"operation": gStr(func(v *taskView) string { return v.doc.operation }),
	},
}).init()

// taskSeq is the number of a task ID "task-12".
func taskSeq(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "task-"))
	return n
}
