package vem

import (
	"fmt"
	"strings"
)

// State is the state of a task or job session. Values the SDK does not know
// are kept verbatim.
type State string

// Task session states.
const (
	StateInProgress State = "InProgress"
	StatePending    State = "Pending"
	StateCompleted  State = "Completed"
)

// Job session states.
const (
	StateStarting State = "Starting"
	StateStopping State = "Stopping"
	StateWorking  State = "Working"
	StatePausing  State = "Pausing"
	StateResuming State = "Resuming"
	StateStopped  State = "Stopped"
)

// Ended reports whether a session in this state has ended: Completed for
// task sessions, Stopped for job sessions. Decide completion from State, not
// Result: a running task may already report Success.
func (s State) Ended() bool { return s == StateCompleted || s == StateStopped }

// Result is the outcome of a task or job session. EM reports None for some
// sessions while they run. Values the SDK does not know are kept verbatim.
type Result string

// Session results.
const (
	ResultSuccess Result = "Success"
	ResultWarning Result = "Warning"
	ResultFailed  Result = "Failed"
	ResultNone    Result = "None"
)

// Format is the wire format the client asks Enterprise Manager for.
type Format string

// Wire formats. XML is the API's own format and the default; JSON decodes
// faster but its key casing differs between EM 12 (PascalCase) and EM 13
// (camelCase), which the client reads alike.
const (
	FormatXML  Format = "xml"
	FormatJSON Format = "json"
)

// ParseFormat turns "xml" or "json" (any case) into a Format.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatXML, FormatJSON:
		return f, nil
	}
	return "", fmt.Errorf("vem: unknown format %q (want xml or json)", s)
}

// mediaType is the one Accept media type sent for the format.
func (f Format) mediaType() string {
	if f == FormatJSON {
		return "application/json"
	}
	return "application/xml"
}
