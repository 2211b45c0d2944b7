package vem

import (
	"fmt"
	"strings"

	"github.com/vemkit/vem/internal/em"
)

// UID is an Enterprise Manager unique identifier such as
// "urn:veeam:BackupTaskSession:88322206-a645-4aa3-9228-028ce51e7c0f".
// Its parts are a fixed "urn:veeam:" prefix, the kind of object and the
// object's GUID, which is the {ID} used in resource paths.
type UID string

// Kind returns the kind of object the UID names, for example
// "BackupTaskSession", or "" when u is not a well-formed Veeam UID.
func (u UID) Kind() string {
	kind, _, ok := u.split()
	if !ok {
		return ""
	}
	return kind
}

// ID returns the GUID part of the UID, the {ID} of resource paths, or ""
// when u is not a well-formed Veeam UID.
func (u UID) ID() string {
	_, id, ok := u.split()
	if !ok {
		return ""
	}
	return id
}

// String returns the UID as written by Enterprise Manager.
func (u UID) String() string { return string(u) }

func (u UID) split() (kind, id string, ok bool) { return em.SplitUID(string(u)) }

// isGUID reports whether s is a GUID in its canonical 8-4-4-4-12 form,
// in any letter case.
func isGUID(s string) bool { return em.IsGUID(s) }

// ParseID accepts what the getters accept for an object of the given kind:
// a bare GUID in any letter case, or a full UID of that kind
// ("urn:veeam:<kind>:<GUID>"). It returns the GUID in lower case, ready for
// a resource path. Anything else returns an error matching [ErrInvalidID].
func ParseID(kind, id string) (string, error) {
	if isGUID(id) {
		return strings.ToLower(id), nil
	}
	if k, guid, ok := UID(id).split(); ok && isGUID(guid) {
		if k != kind {
			return "", &InvalidIDError{ID: id, Kind: kind, Reason: fmt.Sprintf("a %s UID, not a %s UID", k, kind)}
		}
		return strings.ToLower(guid), nil
	}
	reason := "not a GUID or " + kind + " UID"
	if id == "" {
		reason = "empty"
	}
	return "", &InvalidIDError{ID: id, Kind: kind, Reason: reason}
}
