// Package health answers "is every VM backed up?" from Enterprise Manager's
// task and job sessions, retry-aware, per (job, VM).
package health
