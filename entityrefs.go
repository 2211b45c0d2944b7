package vem

// EntityRef is the reference representation of a resource: what EM returns
// for a resource URL without ?format=Entity, and the items of reference
// lists (<EntityReferences><Ref .../>) and of query results without
// format=Entities.
type EntityRef struct {
	UID   UID
	Name  string
	Href  string
	Type  string // e.g. BackupTaskSessionReference
	Links Links
}
