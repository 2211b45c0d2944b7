package vem

import (
	"context"
	"encoding/xml"
)

// BackupServer is a Veeam Backup & Replication server registered in
// Enterprise Manager: the entity representation of
// /api/backupServers/{ID}?format=Entity.
type BackupServer struct {
	UID         UID // urn:veeam:BackupServer:<GUID>
	Name        string
	Href        string
	Description string
	Port        int
	Version     string
	Links       Links
}

// AlternateLink returns the link to the server's reference representation
// (Rel Alternate).
func (s *BackupServer) AlternateLink() (Link, bool) {
	return s.Links.Find(RelAlternate, "")
}

// JobsLink returns the link to the list of the server's jobs (Rel Down,
// Type JobReferenceList).
func (s *BackupServer) JobsLink() (Link, bool) {
	return s.Links.Find(RelDown, "JobReferenceList")
}

// RepositoriesLink returns the link to the list of the server's repositories
// (Rel Down, Type RepositoryReferenceList).
func (s *BackupServer) RepositoriesLink() (Link, bool) {
	return s.Links.Find(RelDown, "RepositoryReferenceList")
}

// GetBackupServer reads one backup server as an entity:
// GET /api/backupServers/{ID}?format=Entity. id is a GUID, a BackupServer
// UID, or the ID() of a link to it.
func (c *Client) GetBackupServer(ctx context.Context, id string) (*BackupServer, error) {
	guid, err := ParseID(KindBackupServer, id)
	if err != nil {
		return nil, err
	}
	return getEntity[BackupServer, backupServerWire](ctx, c, "/api/backupServers/"+guid, KindBackupServer+" "+guid)
}

type backupServerWire struct {
	XMLName     xml.Name `json:"-"`
	Type        string   `xml:"Type,attr" json:"Type"`
	Href        string   `xml:"Href,attr" json:"Href"`
	Name        string   `xml:"Name,attr" json:"Name"`
	UID         string   `xml:"UID,attr" json:"UID"`
	Links       Links    `xml:"Links>Link" json:"Links"`
	Description string   `xml:"Description" json:"Description"`
	Port        int      `xml:"Port" json:"Port"`
	Version     string   `xml:"Version" json:"Version"`
}

func (w *backupServerWire) toPublic() (*BackupServer, error) {
	if err := checkKind(w.XMLName, w.Type, w.UID, KindBackupServer); err != nil {
		return nil, err
	}
	return &BackupServer{
		UID: UID(w.UID), Name: w.Name, Href: w.Href,
		Description: w.Description, Port: w.Port, Version: w.Version,
		Links: w.Links,
	}, nil
}
