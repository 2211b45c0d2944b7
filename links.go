package vem

import (
	"net/url"
	"strings"
)

// Link is one entry of a resource's Links list: a typed, named pointer to a
// related resource. Type is empty on action links (Rel "Delete", "Start",
// ...) and Name may be empty.
type Link struct {
	Rel  string `xml:"Rel,attr" json:"Rel"`
	Type string `xml:"Type,attr" json:"Type"`
	Href string `xml:"Href,attr" json:"Href"`
	Name string `xml:"Name,attr" json:"Name"`
}

// Link relations used by Enterprise Manager.
const (
	RelUp        = "Up"
	RelDown      = "Down"
	RelAlternate = "Alternate"
	RelRelated   = "Related"
	RelFirst     = "First"
	RelNext      = "Next"
	RelLast      = "Last"
)

// ID returns the GUID of the link's target, taken from the Href path: the
// last path segment that is a GUID (so ".../backupSessions/{ID}" and
// ".../backupSessions/{ID}/taskSessions" both give {ID}). It returns ""
// when the path holds no GUID.
func (l Link) ID() string {
	u, err := url.Parse(l.Href)
	if err != nil {
		return ""
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if isGUID(segs[i]) {
			return strings.ToLower(segs[i])
		}
	}
	return ""
}

// Links is a resource's list of links.
type Links []Link

// Find returns the first link with relation rel and type typ; an empty typ
// matches any type. Relation and type compare case-insensitively, as EM's
// own names are not always consistent in case.
func (ls Links) Find(rel, typ string) (Link, bool) {
	for _, l := range ls {
		if strings.EqualFold(l.Rel, rel) && (typ == "" || strings.EqualFold(l.Type, typ)) {
			return l, true
		}
	}
	return Link{}, false
}

// FindAll returns every link with relation rel and type typ; an empty typ
// matches any type.
func (ls Links) FindAll(rel, typ string) Links {
	var out Links
	for _, l := range ls {
		if strings.EqualFold(l.Rel, rel) && (typ == "" || strings.EqualFold(l.Type, typ)) {
			out = append(out, l)
		}
	}
	return out
}

// linkPath returns the path of an Href, "" when it does not parse.
func linkPath(href string) string {
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	return u.Path
}
