// Package em holds what vem, vemtest and cmd/vem must agree on about
// Veeam Backup Enterprise Manager: the shape of GUIDs and UIDs, the time
// format, the query service's types and fields, filter-value quoting, query
// escaping, and which errors are certificate problems. It is written once
// here so that the SDK, the fake server that tests it and the CLI cannot
// drift apart.
package em

import (
	"strings"
	"time"
)

// Namespace is the XML namespace of every Enterprise Manager document.
const Namespace = "http://www.veeam.com/ent/v1.0"

// UIDPrefix starts every Enterprise Manager UID:
// "urn:veeam:<Kind>:<GUID>".
const UIDPrefix = "urn:veeam:"

// IsGUID reports whether s is a GUID in its canonical 8-4-4-4-12 form, in
// any letter case.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// SplitUID splits "urn:veeam:<kind>:<id>" (the prefix in any case) into its
// kind and id. ok is false when s does not have that shape; the id is not
// checked to be a GUID.
func SplitUID(s string) (kind, id string, ok bool) {
	if len(s) < len(UIDPrefix) || !strings.EqualFold(s[:len(UIDPrefix)], UIDPrefix) {
		return "", "", false
	}
	kind, id, ok = strings.Cut(s[len(UIDPrefix):], ":")
	if !ok || kind == "" || id == "" || strings.Contains(id, ":") {
		return "", "", false
	}
	return kind, id, true
}

// UID returns the UID of the object of the given kind and GUID.
func UID(kind, guid string) string { return UIDPrefix + kind + ":" + guid }

// GUIDOf returns the GUID, in lower case, that s names: s itself when it is
// a GUID, or the GUID of a UID of any kind. ok is false otherwise.
func GUIDOf(s string) (guid string, ok bool) {
	if IsGUID(s) {
		return strings.ToLower(s), true
	}
	if _, id, ok := SplitUID(s); ok && IsGUID(id) {
		return strings.ToLower(id), true
	}
	return "", false
}

// TimeLayout is how Enterprise Manager writes DateTime values: UTC, "Z",
// and at most seven fraction digits (.NET's 100 ns ticks), trailing zeros
// trimmed.
const TimeLayout = "2006-01-02T15:04:05.9999999Z"

// FormatTime writes t as Enterprise Manager does, in UTC at 100 ns
// precision.
func FormatTime(t time.Time) string {
	return t.UTC().Truncate(100 * time.Nanosecond).Format(TimeLayout)
}

// ParseTime parses an EM DateTime: RFC 3339 with 0 to 7 fraction digits; a
// value without a zone is UTC, as EM means it. ok is false for anything
// else. The empty string is not a time.
func ParseTime(s string) (t time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.UTC); err == nil {
		return t, true
	}
	return time.Time{}, false
}
