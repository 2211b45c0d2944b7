package vem

import (
	"context"
	"encoding/xml"
	"time"
)

// VMRestorePoint is one VM's restore point: the entity representation of
// /api/vmRestorePoints/{ID}?format=Entity.
type VMRestorePoint struct {
	UID             UID // urn:veeam:VmRestorePoint:<GUID>
	Name            string
	Href            string
	VMDisplayName   string
	VMName          string
	Algorithm       string    // Full, Incremental, ...
	PointType       string    // Full, Increment, ...
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
	return p.Links.Find(RelUp, "BackupFileReference")
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
	guid, err := ParseID(KindVMRestorePoint, id)
	if err != nil {
		return nil, err
	}
	return getEntity[VMRestorePoint, vmRestorePointWire](ctx, c, "/api/vmRestorePoints/"+guid, KindVMRestorePoint+" "+guid)
}

type vmRestorePointWire struct {
	XMLName         xml.Name `json:"-"`
	Type            string   `xml:"Type,attr" json:"Type"`
	Href            string   `xml:"Href,attr" json:"Href"`
	Name            string   `xml:"Name,attr" json:"Name"`
	UID             string   `xml:"UID,attr" json:"UID"`
	VMDisplayName   string   `xml:"VmDisplayName,attr" json:"VmDisplayName"`
	Links           Links    `xml:"Links>Link" json:"Links"`
	CreationTimeUTC string   `xml:"CreationTimeUTC" json:"CreationTimeUTC"`
	VMName          string   `xml:"VmName" json:"VmName"`
	Algorithm       string   `xml:"Algorithm" json:"Algorithm"`
	PointType       string   `xml:"PointType" json:"PointType"`
	HierarchyObjRef string   `xml:"HierarchyObjRef" json:"HierarchyObjRef"`
}

func (w *vmRestorePointWire) toPublic() (*VMRestorePoint, error) {
	if err := checkKind(w.XMLName, w.Type, w.UID, KindVMRestorePoint); err != nil {
		return nil, err
	}
	created, err := parseTime("CreationTimeUTC", w.CreationTimeUTC)
	if err != nil {
		return nil, err
	}
	return &VMRestorePoint{
		UID: UID(w.UID), Name: w.Name, Href: w.Href,
		VMDisplayName: w.VMDisplayName, VMName: w.VMName,
		Algorithm: w.Algorithm, PointType: w.PointType, HierarchyObjRef: w.HierarchyObjRef,
		CreationTime: created, Links: w.Links,
	}, nil
}
