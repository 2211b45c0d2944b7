package vem

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
