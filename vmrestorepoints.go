package vem

import "time"

// VmRestorePoint is one VM's restore point: the entity representation of
// /api/vmRestorePoints/{ID}?format=Entity.
type VmRestorePoint struct {
	UID             UID // urn:veeam:VmRestorePoint:<GUID>
	Name            string
	Href            string
	VmDisplayName   string
	VmName          string
	Algorithm       string // Full, Incremental, ...
	PointType       string // Full, Increment, ...
	HierarchyObjRef string // urn:VMware:Vm:<root>.vm-<n>
	CreationTime    time.Time // UTC; wire name CreationTimeUTC
	Links           Links
}
