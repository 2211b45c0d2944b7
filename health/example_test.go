package health_test

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/vemkit/vem/health"
	"github.com/vemkit/vem/vemtest"
)

// Example evaluates a generated fleet of 200 VMs on a fake Enterprise
// Manager and prints the verdicts that are not OK in five of its jobs.
func Example() {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	srv := vemtest.NewServer(vemtest.WithFleet(vemtest.DefaultFleet(200)), vemtest.WithNow(now))
	defer srv.Close()
	c, err := srv.NewClient()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	rep, err := health.Evaluate(context.Background(), c, health.Options{
		Now:  now,
		Jobs: regexp.MustCompile(`^Backup Job 0[35678]$`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %d of %d VMs critical, %d warning\n", rep.Status, rep.Counts.Critical, len(rep.VMs), rep.Counts.Warning)
	for _, vm := range rep.VMs {
		if vm.Status != health.StatusOK {
			fmt.Printf("%-8s %s / %s: %s\n", vm.Status, vm.JobName, vm.Name, vm.Why)
		}
	}
	// Output:
	// critical: 2 of 100 VMs critical, 4 warning
	// critical Backup Job 05 / vm-015: no successful backup in 7d; last attempt failed: Error: There is not enough space on the disk
	// critical Backup Job 07 / vm-007: last attempt failed: VSS error 0x800423f4 & retry limit reached; last success 39h53m ago
	// warning  Backup Job 03 / vm-003: last attempt failed: VSS error 0x800423f4 & retry limit reached; a newer run of the job is under way; last success 29h54m ago
	// warning  Backup Job 03 / vm-023: last backup 45m ago ended with a warning: Unable to truncate Microsoft SQL Server transaction logs
	// warning  Backup Job 03 / vm-143: last attempt failed: Échec de la sauvegarde : hôte « esx07 » injoignable; a newer run of the job is under way; last success 29h31m ago
	// warning  Backup Job 08 / vm-008: last backup 16h52m ago ended with a warning: Snapshot removal took longer than expected
}
