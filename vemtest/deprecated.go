package vemtest

import "github.com/vemkit/vem"

// The former names of the seed IDs, the JSON styles and two methods. The
// naming table of docs/architecture.md names things after the Go type they
// concern (BackupTaskSession, BackupJobSession, VMRestorePoint) and enum
// values <Type><Value>.
const (
	// Deprecated: use SeedBackupTaskSessionID.
	SeedTaskSessionID = SeedBackupTaskSessionID
	// Deprecated: use SeedBackupJobSessionID.
	SeedJobSessionID = SeedBackupJobSessionID
	// Deprecated: use SeedVMRestorePointID.
	SeedRestorePointID = SeedVMRestorePointID

	// Deprecated: use JSONStyleEM12PascalCase.
	EM12PascalCase = JSONStyleEM12PascalCase
	// Deprecated: use JSONStyleEM13CamelCase.
	EM13CamelCase = JSONStyleEM13CamelCase
)

// SeedTaskSession returns the seed task session.
//
// Deprecated: use SeedBackupTaskSession.
func SeedTaskSession() vem.BackupTaskSession { return SeedBackupTaskSession() }

// TaskSessionCount returns how many task sessions the server holds.
//
// Deprecated: use BackupTaskSessionCount.
func (s *Server) TaskSessionCount() int { return s.BackupTaskSessionCount() }
