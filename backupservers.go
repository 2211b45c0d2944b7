package vem

import (
	"context"
	"iter"

	"github.com/vemkit/vem/internal/em"
)

// KindBackupServer is the kind of a backup server in UIDs and entity Type
// attributes.
const KindBackupServer = em.KindBackupServer

// TypeBackupServerReference is the type of links to a backup server.
const TypeBackupServerReference = "BackupServerReference"

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
	// WcfPort is the port of the backup server's WCF service, which EM
	// connects to (9393 by default).
	WcfPort int
	// VBRCertificateThumbprint is the thumbprint of the backup server's
	// certificate as EM recorded it (wire name VbrCertificateThumbprint).
	VBRCertificateThumbprint string
	Links                    Links
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
	return backupServers.get(ctx, c, id)
}

var backupServers = resource[BackupServer, backupServerWire, *backupServerWire]{
	kind: KindBackupServer, path: "/api/backupServers", query: em.BackupServerQuery(),
}

var _ entity = (*BackupServer)(nil)

func (s *BackupServer) decodeEntity(ct string, body []byte) error {
	return backupServers.decodeInto(ct, body, s)
}

type backupServerWire struct {
	entityHeader
	Description              string `xml:"Description" json:"Description"`
	Port                     int    `xml:"Port" json:"Port"`
	Version                  string `xml:"Version" json:"Version"`
	WcfPort                  int    `xml:"WcfPort" json:"WcfPort"`
	VBRCertificateThumbprint string `xml:"VbrCertificateThumbprint" json:"VbrCertificateThumbprint"`
}

func (w *backupServerWire) toPublic() (*BackupServer, error) {
	return &BackupServer{
		UID: UID(w.UID), Name: w.Name, Href: w.Href,
		Description: w.Description, Port: w.Port, Version: w.Version,
		WcfPort: w.WcfPort, VBRCertificateThumbprint: w.VBRCertificateThumbprint,
		Links: w.Links,
	}, nil
}

// QueryBackupServers runs a query-service query for backup servers
// (GET /api/query?type=BackupServer&format=Entities) and yields them across
// every page, as QueryBackupTaskSessions does. Filter and sort on the
// BackupServerField constants.
func (c *Client) QueryBackupServers(ctx context.Context, q Query) iter.Seq2[*BackupServer, error] {
	return backupServers.queryAll(ctx, c, q)
}

// Query fields of BackupServer, for filters and sorts.
const (
	BackupServerFieldUID         Field = "UID"
	BackupServerFieldName        Field = "Name"
	BackupServerFieldDescription Field = "Description"
	BackupServerFieldIPOrDNSName Field = "IpOrDnsName"
	BackupServerFieldPort        Field = "Port"
	BackupServerFieldVersion     Field = "Version"
)
