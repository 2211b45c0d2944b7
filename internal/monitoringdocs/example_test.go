package monitoringdocs_test

import (
	"fmt"

	"github.com/vemkit/vem/internal/monitoringdocs"
)

// A test of the code that serves the metrics compares what it serves with
// the contract of docs/monitoring.md.
func ExampleReadMetrics() {
	metrics, err := monitoringdocs.ReadMetrics("../../docs/monitoring.md")
	if err != nil {
		fmt.Println(err)
		return
	}
	m := metrics["vem_vm_backup_status"]
	fmt.Println(m.Labels, m.New)
	fmt.Println(metrics["vem_repository_days_until_full"].New)
	// Output:
	// [backup_server backup_job kind vm] false
	// true
}
