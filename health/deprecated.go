package health

// The statuses' former names. The naming table of docs/architecture.md
// names enum values <Type><Value>.
const (
	// Deprecated: use StatusOK.
	OK = StatusOK
	// Deprecated: use StatusWarning.
	Warning = StatusWarning
	// Deprecated: use StatusCritical.
	Critical = StatusCritical
	// Deprecated: use StatusUnknown.
	Unknown = StatusUnknown
)
