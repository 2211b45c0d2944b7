package vem

import (
	"context"
	"iter"
	"time"

	"github.com/vemkit/vem/internal/em"
)

// KindVMRestorePoint is the kind of a VM restore point in UIDs and entity
// Type attributes, and its query-service type.
const KindVMRestorePoint = em.KindVMRestorePoint

// Link types of VM restore points.
const (
	// TypeVMRestorePoint is the type of the Related link from a task
	// session to the VM restore point it produced.
	TypeVMRestorePoint = "VmRestorePoint"
	// TypeBackupFileReference is the type of links to a backup file.
	TypeBackupFileReference = "BackupFileReference"
)

// VMRestorePoint is one VM's restore point: the entity representation of
// /api/vmRestorePoints/{ID}?format=Entity.
type VMRestorePoint struct {
	UID             UID // urn:veeam:VmRestorePoint:<GUID>
	Name            string
	Href            string
	VMDisplayName   string
	VMName          string
	Algorithm       Algorithm // Full, Incremental, ...
	PointType       PointType // Full, Increment, ...
	HierarchyObjRef string    // urn:VMware:Vm:<root>.vm-<n>
	CreationTime    time.Time // UTC; wire name CreationTimeUTC
	Links           Links
}

// BackupServerLink returns the link to the backup server that holds the
// restore point (Rel Up, Type BackupServerReference).
func (p *VMRestorePoint) BackupServerLink() (Link, bool) {
	return p.Links.Find(RelUp, TypeBackupServerReference)
}

// RestorePointLink returns the link to the job-level restore point this VM
// restore point belongs to (Rel Up, Type RestorePointReference).
func (p *VMRestorePoint) RestorePointLink() (Link, bool) {
	return p.Links.Find(RelUp, TypeRestorePointReference)
}

// BackupFileLink returns the link to the backup file that stores the restore
// point (Rel Up, Type BackupFileReference).
func (p *VMRestorePoint) BackupFileLink() (Link, bool) {
	return p.Links.Find(RelUp, TypeBackupFileReference)
}

// AlternateLink returns the link to the restore point's reference
// representation (Rel Alternate).
func (p *VMRestorePoint) AlternateLink() (Link, bool) {
	return p.Links.Find(RelAlternate, "")
}

// GetVMRestorePoint reads one VM restore point as an entity:
// GET /api/vmRestorePoints/{ID}?format=Entity. id is a GUID, a
// VmRestorePoint UID, or the ID() of a link to it.
func (c *Client) GetVMRestorePoint(ctx context.Context, id string) (*VMRestorePoint, error) {
	return vmRestorePoints.get(ctx, c, id)
}

// QueryVMRestorePoints runs a query-service query for VM restore points
// (GET /api/query?type=VmRestorePoint&format=Entities) and yields them
// across every page, in the server's order, as QueryBackupTaskSessions
// does. Filter and sort on the VMRestorePointField constants.
func (c *Client) QueryVMRestorePoints(ctx context.Context, q Query) iter.Seq2[*VMRestorePoint, error] {
	return vmRestorePoints.queryAll(ctx, c, q)
}

// Query fields of VmRestorePoint, for filters and sorts.
const (
	VMRestorePointFieldUID              Field = "UID"
	VMRestorePointFieldName             Field = "Name"
	VMRestorePointFieldCreationTime     Field = "CreationTime"
	VMRestorePointFieldType             Field = "Type" // the PointType
	VMRestorePointFieldAlgorithm        Field = "Algorithm"
	VMRestorePointFieldRestorePointID   Field = "RestorePointId"
	VMRestorePointFieldRestorePointName Field = "RestorePointName"
	VMRestorePointFieldVMDisplayName    Field = "VmDisplayName"
	VMRestorePointFieldBackupServerUID  Field = "BackupServerUid"
	VMRestorePointFieldBackupServerName Field = "BackupServerName"
)

// Algorithm is the backup method that made a restore point. Values the SDK
// does not know are kept verbatim.
type Algorithm string

// Restore point algorithms.
const (
	AlgorithmFull                Algorithm = "Full"
	AlgorithmIncremental         Algorithm = "Incremental"
	AlgorithmReversedIncremental Algorithm = "ReversedIncremental"
	AlgorithmSyntheticFull       Algorithm = "SyntheticFull"
)

// PointType is the type of a restore point. Values the SDK does not know
// are kept verbatim.
type PointType string

// Restore point types.
const (
	PointTypeFull             PointType = "Full"
	PointTypeIncrement        PointType = "Increment"
	PointTypeReverseIncrement PointType = "ReverseIncrement"
)

var vmRestorePoints = resource[VMRestorePoint, vmRestorePointWire, *vmRestorePointWire]{
	kind: KindVMRestorePoint, path: "/api/vmRestorePoints", query: em.VMRestorePointQuery(),
}

var _ entity = (*VMRestorePoint)(nil)

func (p *VMRestorePoint) decodeEntity(ct string, body []byte) error {
	return vmRestorePoints.decodeInto(ct, body, p)
}

type vmRestorePointWire struct {
	entityHeader
	VMDisplayName   string `xml:"VmDisplayName,attr" json:"VmDisplayName"`
	CreationTimeUTC string `xml:"CreationTimeUTC" json:"CreationTimeUTC"`
	VMName          string `xml:"VmName" json:"VmName"`
	Algorithm       string `xml:"Algorithm" json:"Algorithm"`
	PointType       string `xml:"PointType" json:"PointType"`
	HierarchyObjRef string `xml:"HierarchyObjRef" json:"HierarchyObjRef"`
}

func (w *vmRestorePointWire) toPublic() (*VMRestorePoint, error) {
	var t times
	p := &VMRestorePoint{
		UID: UID(w.UID), Name: w.Name, Href: w.Href,
		VMDisplayName: w.VMDisplayName, VMName: w.VMName,
		Algorithm: Algorithm(w.Algorithm), PointType: PointType(w.PointType), HierarchyObjRef: w.HierarchyObjRef,
		CreationTime: t.parse("CreationTimeUTC", w.CreationTimeUTC), Links: w.Links,
	}
	return p, t.err
}
