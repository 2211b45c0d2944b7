package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/vemkit/vem"
)

// Output formats (-o).
const (
	outputJSON  = "json"  // one JSON document; an array for lists
	outputJSONL = "jsonl" // one JSON object per line, streamed
	outputTable = "table" // aligned columns for people
	outputXML   = "xml"   // the server's own XML
)

// The JSON schema below is documented field by field in docs/cli.md and is
// a promise to scripts: add fields, never rename, retype or remove one.
// Every key is always present; a value the server did not give is null
// (never "" or 0 as a placeholder). Times are RFC 3339 in UTC with as many
// fraction digits as needed (time.RFC3339Nano); sizes are integer bytes.

// linkJSON is one link of an object's "links" array.
type linkJSON struct {
	Rel  string  `json:"rel"`
	Type *string `json:"type"`
	Href string  `json:"href"`
	Name *string `json:"name"`
}

// taskSessionJSON is a backup task session.
type taskSessionJSON struct {
	UID             string     `json:"uid"`
	ID              string     `json:"id"`
	Name            *string    `json:"name"`
	VMDisplayName   *string    `json:"vmDisplayName"`
	VMUID           *string    `json:"vmUid"`
	State           *string    `json:"state"`
	Finished        bool       `json:"finished"`
	Result          *string    `json:"result"`
	Reason          *string    `json:"reason"`
	CreationTime    *string    `json:"creationTime"`
	EndTime         *string    `json:"endTime"`
	DurationSeconds *float64   `json:"durationSeconds"`
	TotalSize       int64      `json:"totalSize"`
	JobSessionUID   *string    `json:"jobSessionUid"`
	JobName         *string    `json:"jobName"`
	BackupServer    *string    `json:"backupServerName"`
	Links           []linkJSON `json:"links"`
}

// followedTaskSessionJSON is a task session with its related objects, as
// printed by "task-session get --follow".
type followedTaskSessionJSON struct {
	taskSessionJSON
	JobSession   *jobSessionJSON   `json:"jobSession"`
	BackupServer *backupServerJSON `json:"backupServer"`
	RestorePoint *restorePointJSON `json:"restorePoint"`
}

// jobSessionJSON is a backup job session.
type jobSessionJSON struct {
	UID             string     `json:"uid"`
	ID              string     `json:"id"`
	Name            *string    `json:"name"`
	JobUID          *string    `json:"jobUid"`
	JobName         *string    `json:"jobName"`
	JobType         *string    `json:"jobType"`
	State           *string    `json:"state"`
	Finished        bool       `json:"finished"`
	Result          *string    `json:"result"`
	Progress        int        `json:"progress"`
	IsRetry         bool       `json:"isRetry"`
	FailureMessage  *string    `json:"failureMessage"`
	CreationTime    *string    `json:"creationTime"`
	EndTime         *string    `json:"endTime"`
	DurationSeconds *float64   `json:"durationSeconds"`
	Links           []linkJSON `json:"links"`
}

// backupServerJSON is a Veeam Backup & Replication server.
type backupServerJSON struct {
	UID         string     `json:"uid"`
	ID          string     `json:"id"`
	Name        *string    `json:"name"`
	Description *string    `json:"description"`
	Port        *int       `json:"port"`
	Version     *string    `json:"version"`
	Links       []linkJSON `json:"links"`
}

// restorePointJSON is a VM restore point.
type restorePointJSON struct {
	UID             string     `json:"uid"`
	ID              string     `json:"id"`
	Name            *string    `json:"name"`
	VMDisplayName   *string    `json:"vmDisplayName"`
	VMName          *string    `json:"vmName"`
	Algorithm       *string    `json:"algorithm"`
	PointType       *string    `json:"pointType"`
	HierarchyObjRef *string    `json:"hierarchyObjRef"`
	CreationTime    *string    `json:"creationTime"`
	Links           []linkJSON `json:"links"`
}

// str returns nil for "" so that absent values print as null.
func str[S ~string](s S) *string {
	if s == "" {
		return nil
	}
	v := string(s)
	return &v
}

// jsonTime renders t as RFC 3339 UTC, or nil for the zero time.
func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// seconds returns end-start in seconds, to the millisecond, or nil when
// either is unknown.
func seconds(start, end time.Time) *float64 {
	if start.IsZero() || end.IsZero() {
		return nil
	}
	s := math.Round(end.Sub(start).Seconds()*1000) / 1000
	return &s
}

func linksJSON(ls vem.Links) []linkJSON {
	out := make([]linkJSON, 0, len(ls))
	for _, l := range ls {
		out = append(out, linkJSON{Rel: l.Rel, Type: str(l.Type), Href: l.Href, Name: str(l.Name)})
	}
	return out
}

// jobNameOf returns the job name of a task session: the part before the
// last "@" of its job session link's name ("Backup Job 1@2025-06-05 01:03:37").
func jobNameOf(ts *vem.BackupTaskSession) string {
	l, ok := ts.BackupJobSessionLink()
	if !ok {
		return ""
	}
	name := l.Name
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	return name
}

// backupServerNameOf returns the name of a task session's backup server
// link.
func backupServerNameOf(ts *vem.BackupTaskSession) string {
	l, _ := ts.BackupServerLink()
	return l.Name
}

func newTaskSessionJSON(ts *vem.BackupTaskSession) taskSessionJSON {
	return taskSessionJSON{
		UID:             ts.UID.String(),
		ID:              ts.UID.ID(),
		Name:            str(ts.Name),
		VMDisplayName:   str(ts.VMDisplayName),
		VMUID:           str(ts.VMUID),
		State:           str(ts.State),
		Finished:        ts.State.Ended(),
		Result:          str(ts.Result),
		Reason:          str(strings.TrimSpace(ts.Reason)),
		CreationTime:    jsonTime(ts.CreationTime),
		EndTime:         jsonTime(ts.EndTime),
		DurationSeconds: seconds(ts.CreationTime, ts.EndTime),
		TotalSize:       ts.TotalSize,
		JobSessionUID:   str(ts.JobSessionUID),
		JobName:         str(jobNameOf(ts)),
		BackupServer:    str(backupServerNameOf(ts)),
		Links:           linksJSON(ts.Links),
	}
}

func newJobSessionJSON(js *vem.BackupJobSession) *jobSessionJSON {
	if js == nil {
		return nil
	}
	return &jobSessionJSON{
		UID:             js.UID.String(),
		ID:              js.UID.ID(),
		Name:            str(js.Name),
		JobUID:          str(js.JobUID),
		JobName:         str(js.JobName),
		JobType:         str(js.JobType),
		State:           str(js.State),
		Finished:        js.State.Ended(),
		Result:          str(js.Result),
		Progress:        js.Progress,
		IsRetry:         js.IsRetry,
		FailureMessage:  str(js.FailureMessage),
		CreationTime:    jsonTime(js.CreationTime),
		EndTime:         jsonTime(js.EndTime),
		DurationSeconds: seconds(js.CreationTime, js.EndTime),
		Links:           linksJSON(js.Links),
	}
}

func newBackupServerJSON(s *vem.BackupServer) *backupServerJSON {
	if s == nil {
		return nil
	}
	out := &backupServerJSON{
		UID:         s.UID.String(),
		ID:          s.UID.ID(),
		Name:        str(s.Name),
		Description: str(s.Description),
		Version:     str(s.Version),
		Links:       linksJSON(s.Links),
	}
	if s.Port != 0 {
		port := s.Port
		out.Port = &port
	}
	return out
}

func newRestorePointJSON(p *vem.VMRestorePoint) *restorePointJSON {
	if p == nil {
		return nil
	}
	return &restorePointJSON{
		UID:             p.UID.String(),
		ID:              p.UID.ID(),
		Name:            str(p.Name),
		VMDisplayName:   str(p.VMDisplayName),
		VMName:          str(p.VMName),
		Algorithm:       str(p.Algorithm),
		PointType:       str(p.PointType),
		HierarchyObjRef: str(p.HierarchyObjRef),
		CreationTime:    jsonTime(p.CreationTime),
		Links:           linksJSON(p.Links),
	}
}

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	return encodeJSON(w, v, "", "  ")
}

// writeJSONLine writes v as one compact JSON object on one line.
func writeJSONLine(w io.Writer, v any) error {
	return encodeJSON(w, v, "", "")
}

// encodeJSON writes v as JSON and a newline. encoding/json escapes C0
// controls; C1 controls (U+0080 to U+009F), which some terminals obey, and
// bidirectional overrides are escaped too, so that the output is safe to
// show.
func encodeJSON(w io.Writer, v any, prefix, indent string) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, indent)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(escapeC1(b.Bytes()))
	return err
}

// escapeC1 replaces C1 control characters and bidirectional formatting
// characters in JSON text by \u escapes. They can only occur inside
// strings, where the escape means the same.
func escapeC1(p []byte) []byte {
	unsafe := func(r rune) bool { return r >= 0x80 && isUnsafeRune(r) }
	if !bytes.ContainsFunc(p, unsafe) {
		return p
	}
	var out bytes.Buffer
	for len(p) > 0 {
		r, size := utf8.DecodeRune(p)
		if size > 1 && unsafe(r) {
			fmt.Fprintf(&out, `\u%04x`, r)
		} else {
			out.Write(p[:size])
		}
		p = p[size:]
	}
	return out.Bytes()
}

// recordWriter writes a stream of results in one output format, as they
// arrive: nothing but the current record (and, for tables, the first
// page's rows) is held in memory.
type recordWriter[T any] interface {
	write(T) error
	// close ends the output; for an empty result it writes the empty form
	// ([] or the table header).
	close() error
}

// jsonArrayWriter writes one indented JSON array, element by element. Its
// output is byte for byte that of writeJSON on the whole slice.
type jsonArrayWriter[T any] struct {
	w    io.Writer
	conv func(T) any
	n    int
}

func (j *jsonArrayWriter[T]) write(v T) error {
	sep := ",\n  "
	if j.n == 0 {
		sep = "[\n  "
	}
	j.n++
	if _, err := io.WriteString(j.w, sep); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := encodeJSON(&b, j.conv(v), "  ", "  "); err != nil {
		return err
	}
	_, err := j.w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	return err
}

func (j *jsonArrayWriter[T]) close() error {
	end := "\n]\n"
	if j.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(j.w, end)
	return err
}

// jsonLinesWriter writes one compact JSON object per line.
type jsonLinesWriter[T any] struct {
	w    io.Writer
	conv func(T) any
}

func (j *jsonLinesWriter[T]) write(v T) error { return writeJSONLine(j.w, j.conv(v)) }
func (j *jsonLinesWriter[T]) close() error    { return nil }

// tableWriter writes aligned columns, streaming: it holds the first batch
// rows (a query page), sizes the columns from them and the header, then
// writes every later row at once with those widths. A later cell wider
// than its column pushes the rest of its row to the right.
type tableWriter[T any] struct {
	w      io.Writer
	header []string
	row    func(T) []string
	batch  int
	held   [][]string
	widths []int // nil until the first batch is written
}

func newTableWriter[T any](w io.Writer, header []string, row func(T) []string, batch int) *tableWriter[T] {
	if batch <= 0 {
		batch = emDefaultPageSize
	}
	return &tableWriter[T]{w: w, header: header, row: row, batch: batch}
}

func (t *tableWriter[T]) write(v T) error {
	r := cleanCells(t.row(v))
	if t.widths != nil {
		return t.writeRow(r)
	}
	t.held = append(t.held, r)
	if len(t.held) >= t.batch {
		return t.flushHeld()
	}
	return nil
}

func (t *tableWriter[T]) flushHeld() error {
	t.widths = make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.held...) {
		for i, c := range r {
			if i < len(t.widths) {
				t.widths[i] = max(t.widths[i], utf8.RuneCountInString(c))
			}
		}
	}
	if err := t.writeRow(t.header); err != nil {
		return err
	}
	for _, r := range t.held {
		if err := t.writeRow(r); err != nil {
			return err
		}
	}
	t.held = nil
	return nil
}

func (t *tableWriter[T]) writeRow(r []string) error {
	var b strings.Builder
	for i, c := range r {
		b.WriteString(c)
		if i == len(r)-1 {
			break
		}
		pad := 2
		if i < len(t.widths) {
			pad = max(t.widths[i]-utf8.RuneCountInString(c), 0) + 2
		}
		b.WriteString(strings.Repeat(" ", pad))
	}
	b.WriteByte('\n')
	_, err := io.WriteString(t.w, b.String())
	return err
}

func (t *tableWriter[T]) close() error {
	if t.widths == nil {
		return t.flushHeld()
	}
	return nil
}

// Table rendering, for people only: sizes and durations are rounded and
// missing values show as "-".

// taskSessionColumns are the columns of the task session table.
var taskSessionColumns = []string{"ID", "CREATED (UTC)", "VM", "JOB", "STATE", "RESULT", "DURATION", "SIZE"}

func taskSessionRow(ts *vem.BackupTaskSession) []string {
	return []string{
		ts.UID.ID(),
		tableTime(ts.CreationTime),
		dash(ts.VMDisplayName),
		dash(jobNameOf(ts)),
		dash(string(ts.State)),
		dash(string(ts.Result)),
		tableDuration(ts.CreationTime, ts.EndTime),
		humanBytes(ts.TotalSize),
	}
}

// writeFields writes name/value pairs in two aligned columns.
func writeFields(w io.Writer, fields [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s\t%s\n", f[0], cleanCell(f[1]))
	}
	return tw.Flush()
}

func cleanCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = cleanCell(c)
	}
	return out
}

// cleanCell keeps a cell on one line, out of tabwriter's way, and free of
// control characters: tabs and line breaks become spaces, other controls
// (ANSI escapes, BEL, C1 codes) are escaped as \xHH.
func cleanCell(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	return sanitize(s, false)
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// tableTimeLayout is how tables show times, in UTC; --since and --until
// accept it back.
const tableTimeLayout = "2006-01-02 15:04:05"

func tableTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(tableTimeLayout)
}

// tableDuration shows end-start to the millisecond ("59.72s", "1m0.5s").
func tableDuration(start, end time.Time) string {
	if start.IsZero() || end.IsZero() {
		return "-"
	}
	return end.Sub(start).Round(time.Millisecond).String()
}

// humanBytes renders a size with binary units, for tables only.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
