package emfilter_test

import (
	"fmt"

	"github.com/vemkit/vem/internal/emfilter"
)

// ExampleParse parses a filter and prints its canonical form.
func ExampleParse() {
	e, err := emfilter.Parse(`JobName == "Fileserver ""A"" Backup" ; ( Result==Failed , Result==Warning )`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Op, len(e.Terms))
	fmt.Println(e.Terms[0].Value)
	fmt.Println(e)
	// Output:
	// ; 2
	// Fileserver "A" Backup
	// JobName=="Fileserver ""A"" Backup";(Result==Failed,Result==Warning)
}
