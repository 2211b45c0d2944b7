package em

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// QuoteValue writes a string value of a query-service filter: bare when it
// can be, otherwise in double quotes with inner quotes doubled. It quotes
// the empty string, white space, control characters, invalid UTF-8 and
// every character of the filter syntax or with a meaning in a URL, so that
// a value never changes the expression around it.
func QuoteValue(s string) string {
	if s != "" && !strings.ContainsFunc(s, NeedsQuote) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// NeedsQuote reports whether a filter value holding r must be quoted.
func NeedsQuote(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError ||
		strings.ContainsRune(`;,()"=!<>&+%#?'`, r)
}

// ValidFieldName reports whether s can be a query field name: a letter or
// underscore, then letters, digits, underscores or dots.
func ValidFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r == '_':
		case i > 0 && (r >= '0' && r <= '9' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// QueryEscape escapes a query-string value, spaces as %20 rather than "+",
// which some servers leave as a plus sign.
func QueryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// EncodeQuery renders query values sorted by key, spaces as %20.
func EncodeQuery(q url.Values) string {
	return strings.ReplaceAll(q.Encode(), "+", "%20")
}

// FieldKind is the type of a query field's values, which decides how a
// filter compares them.
type FieldKind uint8

// Field kinds.
const (
	String   FieldKind = iota // compared as text, case-insensitively
	Time                      // DateTime, compared in time
	Int                       // a whole number
	Bool                      // True or False
	UIDField                  // a UID; a bare GUID names an object of Field.UIDKind
	Enum                      // compared by position in Field.Values
)

// Field is one field the query service can filter and sort on.
type Field struct {
	Name    string    // as EM documents it; EM matches it case-insensitively
	Kind    FieldKind //
	UIDKind string    // UIDField: the kind a bare GUID belongs to
	Values  []string  // Enum: the values in EM's order
}

// QueryType is one type of the query service (the "type" parameter).
type QueryType struct {
	// Name is the value of the type parameter, for example
	// "BackupTaskSession". It is also the kind in the objects' UIDs and
	// the XML element of each entity.
	Name string
	// Collection is the element that holds the entities inside
	// <Entities>, and the JSON key that holds them (twice nested).
	Collection string
	// Fields are the fields of filters and sorts.
	Fields []Field
}

// Field returns the field named name (any letter case).
func (t QueryType) Field(name string) (Field, bool) {
	for _, f := range t.Fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return Field{}, false
}

// FieldNames returns the names of the type's fields in EM's order.
func (t QueryType) FieldNames() []string {
	out := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		out[i] = f.Name
	}
	return out
}

// Kinds of object, as in UIDs, entity Type attributes and query types.
const (
	KindBackupTaskSession = "BackupTaskSession"
	KindBackupJobSession  = "BackupJobSession"
	KindBackupServer      = "BackupServer"
	KindVMRestorePoint    = "VmRestorePoint"
	KindJob               = "Job"
	KindRestorePoint      = "RestorePoint"
)

// TaskStates are the states of a task session in EM's order, which filters
// and sorts compare by.
func TaskStates() []string { return []string{"InProgress", "Pending", "Completed"} }

// JobStates are the states of a job session in EM's order.
func JobStates() []string {
	return []string{"Starting", "Stopping", "Working", "Pausing", "Resuming", "Stopped"}
}

// Results are the session results in EM's order: None, Success, Warning,
// Failed (Result>Success means Warning or Failed).
func Results() []string { return []string{"None", "Success", "Warning", "Failed"} }

// BackupTaskSessionQuery is the query type BackupTaskSession.
func BackupTaskSessionQuery() QueryType {
	return QueryType{Name: KindBackupTaskSession, Collection: "BackupTaskSessions", Fields: []Field{
		{Name: "UID", Kind: UIDField, UIDKind: KindBackupTaskSession},
		{Name: "Name", Kind: String},
		{Name: "CreationTime", Kind: Time},
		{Name: "EndTime", Kind: Time},
		{Name: "State", Kind: Enum, Values: TaskStates()},
		{Name: "Result", Kind: Enum, Values: Results()},
		{Name: "Reason", Kind: String},
		{Name: "TotalSize", Kind: Int},
		{Name: "JobSessionUid", Kind: UIDField, UIDKind: KindBackupJobSession},
		{Name: "JobUid", Kind: UIDField, UIDKind: KindJob},
		{Name: "JobName", Kind: String},
		{Name: "BackupServerUid", Kind: UIDField, UIDKind: KindBackupServer},
		{Name: "BackupServerName", Kind: String},
		{Name: "VmDisplayName", Kind: String},
	}}
}

// BackupJobSessionQuery is the query type BackupJobSession.
func BackupJobSessionQuery() QueryType {
	return QueryType{Name: KindBackupJobSession, Collection: "BackupJobSessions", Fields: []Field{
		{Name: "UID", Kind: UIDField, UIDKind: KindBackupJobSession},
		{Name: "Name", Kind: String},
		{Name: "JobType", Kind: String},
		{Name: "JobUid", Kind: UIDField, UIDKind: KindJob},
		{Name: "JobName", Kind: String},
		{Name: "CreationTime", Kind: Time},
		{Name: "EndTime", Kind: Time},
		{Name: "State", Kind: Enum, Values: JobStates()},
		{Name: "Result", Kind: Enum, Values: Results()},
		{Name: "IsRetry", Kind: Bool},
		{Name: "BackupServerUid", Kind: UIDField, UIDKind: KindBackupServer},
		{Name: "BackupServerName", Kind: String},
	}}
}

// VMRestorePointQuery is the query type VmRestorePoint.
func VMRestorePointQuery() QueryType {
	return QueryType{Name: KindVMRestorePoint, Collection: "VmRestorePoints", Fields: []Field{
		{Name: "UID", Kind: UIDField, UIDKind: KindVMRestorePoint},
		{Name: "Name", Kind: String},
		{Name: "CreationTime", Kind: Time},
		{Name: "Type", Kind: String},
		{Name: "Algorithm", Kind: String},
		{Name: "RestorePointId", Kind: UIDField, UIDKind: KindRestorePoint},
		{Name: "RestorePointName", Kind: String},
		{Name: "VmDisplayName", Kind: String},
		{Name: "BackupServerUid", Kind: UIDField, UIDKind: KindBackupServer},
		{Name: "BackupServerName", Kind: String},
	}}
}

// JobQuery is the query type Job.
func JobQuery() QueryType {
	return QueryType{Name: KindJob, Collection: "Jobs", Fields: []Field{
		{Name: "UID", Kind: UIDField, UIDKind: KindJob},
		{Name: "Name", Kind: String},
		{Name: "Description", Kind: String},
		{Name: "NextRun", Kind: Time},
		{Name: "JobType", Kind: String},
		{Name: "Platform", Kind: String},
		{Name: "ScheduleConfigured", Kind: Bool},
		{Name: "ScheduleEnabled", Kind: Bool},
		{Name: "BackupServerUid", Kind: UIDField, UIDKind: KindBackupServer},
		{Name: "BackupServerName", Kind: String},
	}}
}

// QueryTypes returns every query type vem knows.
func QueryTypes() []QueryType { return allQueryTypes() }

// LookupQueryType returns the query type with the given name (any case).
func LookupQueryType(name string) (QueryType, bool) {
	for _, t := range QueryTypes() {
		if strings.EqualFold(t.Name, name) {
			return t, true
		}
	}
	return QueryType{}, false
}
